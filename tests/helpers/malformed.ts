/**
 * Helpers of the malformed-input property tests: hashes of every file under a directory, the CLI
 * run as real child processes (a few at a time), the one-line error check, and variants of a
 * valid file (truncations, byte flips) drawn from a seeded generator.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));

/** sha256 of every regular file under `root` (relative path → hash). */
export function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out[relative(root, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(root);
  return out;
}

/** Only the entries of `before` (files that existed): each must still exist with the same hash. */
export function changedFiles(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys(before).filter((k) => after[k] !== before[k]);
}

export interface CliResult {
  readonly args: readonly string[];
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `mtl-bench ARGS` in `cwd` for every argument list, `parallel` processes at a time. */
export async function runCliAll(cwd: string, argLists: readonly (readonly string[])[], parallel = 3): Promise<CliResult[]> {
  const results: CliResult[] = new Array(argLists.length);
  let next = 0;
  const one = (args: readonly string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      const p = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, MTL_BENCH_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (status) => resolve({ args, status, stdout, stderr }));
    });
  const worker = async (): Promise<void> => {
    while (next < argLists.length) {
      const i = next++;
      results[i] = await one(argLists[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, argLists.length) }, worker));
  return results;
}

/**
 * Why `stderr` is not a clean one-line usage error naming `name` (null when it is): exactly one
 * non-empty line, no stack frame, no library source, and the file/field named.
 */
export function oneLineProblem(stderr: string, name: string): string | null {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) return `${lines.length} lines on stderr: ${stderr.slice(0, 300)}`;
  const l = lines[0]!;
  if (/^\s+at |\bat .*:\d+:\d+\)?$/.test(l)) return `a stack frame: ${l}`;
  if (l.length > 600) return `${l.length} characters (library source?)`;
  if (!l.includes(name)) return `does not name ${name}: ${l}`;
  return null;
}

/** A small seeded generator (mulberry32) for reproducible variants. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Truncation lengths of a `size`-byte file: fixed edges plus `n` random ones in (0, size). */
export function truncations(size: number, fixed: readonly number[], n: number, seed: number): number[] {
  const r = rng(seed);
  const out = new Set(fixed.filter((x) => x >= 0 && x < size));
  while (out.size < fixed.filter((x) => x >= 0 && x < size).length + n) out.add(1 + Math.floor(r() * (size - 1)));
  return [...out].sort((a, b) => a - b);
}
