/**
 * Atomic outputs. A file is written to a temporary file in the same directory and renamed over
 * the target (write-file-atomic), so a kill at any moment leaves either the previous file or the
 * complete new one. A directory (a data set) is built in `<dir>.tmp-<pid>` and renamed into place
 * at the end; temporary directories left by a killed process (its pid no longer alive) are
 * removed the next time that directory is written.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { DataError } from './errors.js';

/**
 * Write `data` to `file` through a temporary file + rename; a failure names the file. `fsync:
 * false` skips the flush to disk (still atomic against a killed process, not a power cut).
 */
export function writeFileAtomicSync(file: string, data: string | Buffer, opts: { fsync?: boolean } = {}): void {
  try {
    writeFileAtomic.sync(file, data, { fsync: opts.fsync ?? true });
  } catch (e) {
    throw new DataError(file, `cannot write: ${(e as Error).message}`);
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** Remove `<dir>.tmp-<pid>` (and `.old-<pid>`) leftovers of processes that are gone; returns the names removed. */
export function removeStaleTemps(dir: string): string[] {
  const parent = dirname(dir);
  const prefix = `${basename(dir)}.`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(?:tmp|old)-(\d+)$/.exec(n.slice(prefix.length));
    if (!m || alive(Number(m[1]))) continue;
    rmSync(join(parent, n), { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}

/** A fresh, empty temporary directory beside `dir` (stale ones of dead processes removed first). */
export function tempDirFor(dir: string): string {
  removeStaleTemps(dir);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  return tmp;
}

/** Put the finished `tmp` in place of `dir` (an existing `dir` is replaced only now). */
export function commitDir(tmp: string, dir: string): void {
  if (existsSync(dir)) {
    const old = `${dir}.old-${process.pid}`;
    rmSync(old, { recursive: true, force: true });
    renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(tmp, dir);
}

/**
 * Build a directory atomically: `make` writes into a temporary directory that replaces `dir` on
 * success (when `keep(result)` holds; otherwise nothing is changed).
 */
export async function buildDirAtomic<T>(dir: string, make: (tmp: string) => T | Promise<T>, keep: (r: T) => boolean = () => true): Promise<T> {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = tempDirFor(dir);
  try {
    const r = await make(tmp);
    if (keep(r)) commitDir(tmp, dir);
    return r;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Synchronous buildDirAtomic. */
export function buildDirAtomicSync<T>(dir: string, make: (tmp: string) => T): T {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = tempDirFor(dir);
  try {
    const r = make(tmp);
    commitDir(tmp, dir);
    return r;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
