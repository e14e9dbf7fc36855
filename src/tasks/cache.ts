/**
 * Generated datasets are cached under the data directory. Generation writes to a temporary
 * directory that is renamed into place, so a concurrent reader never sees a half-written dataset
 * and two processes generating at once leave one complete copy; the temporary directory of a
 * killed generation (its process gone) is removed on the next start.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeStaleTemps } from '../atomic.js';

export function generateOnce(dir: string, marker: string, make: (tmpDir: string) => void): void {
  if (existsSync(join(dir, marker))) return;
  mkdirSync(dirname(dir), { recursive: true });
  removeStaleTemps(dir); // left by a generation that was killed
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    make(tmp);
    if (existsSync(join(dir, marker))) return; // another process finished first
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true }); // an incomplete leftover
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
