/** What every run records about where its numbers came from. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface Provenance {
  readonly gitCommit: string | null;
  readonly packageVersion: string;
  readonly nodeVersion: string;
  readonly host: string;
}

let cached: Provenance | null = null;

export function provenance(): Provenance {
  if (cached) return cached;
  let gitCommit: string | null = null;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (dirty) gitCommit += '-dirty';
  } catch {
    gitCommit = null;
  }
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  cached = { gitCommit, packageVersion: pkg.version, nodeVersion: process.version, host: hostname() };
  return cached;
}
