/** What every run records about where its numbers came from. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { packagePath, packageRoot } from '../paths.js';

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
  // Only a checkout of mtl-bench itself has a commit (an installed copy may sit inside another repository).
  const cwd = packageRoot();
  if (existsSync(packagePath('.git'))) {
    try {
      gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
      const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
      if (dirty) gitCommit += '-dirty';
    } catch {
      gitCommit = null;
    }
  }
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  cached = { gitCommit, packageVersion: pkg.version, nodeVersion: process.version, host: hostname() };
  return cached;
}
