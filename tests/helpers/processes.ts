/** Helpers for tests that run the CLI as real processes and signal them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Test } from 'tap';

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));

export interface Started {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor: (re: RegExp, count?: number) => Promise<void>;
}

/** Start the CLI in its own process group, with TMPDIR set to `tmp`. */
export function start(a: string[], dir: string, tmp: string): Started {
  const child = spawn(process.execPath, [BIN, ...a], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
  let out = '';
  const waiters: (() => void)[] = [];
  const onData = (b: Buffer): void => {
    out += b.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const waitFor = (re: RegExp, count = 1): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if ((out.match(new RegExp(re.source, 'g')) ?? []).length >= count) {
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        }
      };
      waiters.push(check);
      check();
    });
  return { child, out: () => out, exited, waitFor };
}

export const rows = (db: string) => {
  const d = new Database(db, { readonly: true });
  const r = d.prepare(`SELECT label, status, epochs_done, checkpoint_epoch, worker_pid, error FROM runs WHERE method != 'trivial' ORDER BY id`).all() as { label: string; status: string; epochs_done: number; checkpoint_epoch: number | null; worker_pid: number | null; error: string | null }[];
  d.close();
  return r;
};

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Poll (no timing assertion) until `cond` holds or a generous bound passes. */
export async function eventually(cond: () => boolean, seconds = 120): Promise<boolean> {
  for (let i = 0; i < seconds * 10; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

/** No temporary job folder in `tmp`, no empty checkpoint folder, no stack trace or library source in `out`. */
export const noLeftovers = (t: Test, tmp: string, db: string, out: string): void => {
  t.same(readdirSync(tmp).filter((f) => f.startsWith('mtl-bench-')), [], 'no temporary job folders left');
  const top = `${db}.checkpoints`;
  const dirs = existsSync(top) ? readdirSync(top) : [];
  t.ok(dirs.every((d) => readdirSync(join(top, d)).length > 0), 'no empty checkpoint folders left');
  t.equal(existsSync(top), rows(db).some((r) => r.checkpoint_epoch !== null), 'a checkpoints folder exactly when a run has a checkpoint');
  t.notMatch(out, /\n\s+at |function\(|\bvar [a-zA-Z$]+=/, 'no stack trace or library source');
  t.ok(out.split('\n').every((l) => l.length < 400), 'only short lines');
};

