/**
 * Stopping when asked with worker processes (--jobs 2): a worker killed with SIGKILL costs its run
 * (errored) and is replaced, not the sweep; SIGTERM to the parent stops every worker; workers whose
 * parent is killed stop on their own; nothing temporary is left, no library source is printed.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { alive, eventually, noLeftovers, rows, start as startIn } from '../helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-stop2-'));
const TMP = join(dir, 'tmp');
mkdirSync(TMP);
const start = (a: string[]) => startIn(a, dir, TMP);
const args = (db: string, jobs: number, epochs: number) => ['run', '--preset', 'regression-ci', '--optimizers', 'EW', '--seeds', '0', '--epochs', String(epochs), '--data-dir', join(dir, 'data'), '--jobs', String(jobs), '--db', db];

t.test('--jobs 2: a worker killed with SIGKILL costs its run, not the sweep; SIGTERM to the parent stops every worker', async (t) => {
  const db = join(dir, 'j2.sqlite');
  const p = start(args(db, 2, 400));
  await p.waitFor(/ epoch \d+\/400 /, 4);
  const first = rows(db).filter((x) => x.status === 'running');
  t.equal(first.length, 2, 'two workers running');
  const victim = first[0]!;
  process.kill(victim.worker_pid!, 'SIGKILL');
  await p.waitFor(new RegExp(`exited with SIGKILL; ${victim.label.replace(/[()]/g, '\\$&')} is marked errored`));
  // A replacement worker takes the next pending run.
  await p.waitFor(/ start /, 3);
  t.equal(p.child.exitCode, null, 'the sweep carries on');
  t.same(rows(db).filter((x) => x.status === 'errored').map((x) => x.label), [victim.label], 'the killed run is errored');
  await p.waitFor(/ epoch \d+\/400 /, 8);
  const workers = rows(db).filter((x) => x.status === 'running').map((x) => x.worker_pid!);
  t.equal(workers.length, 2, 'two workers running again');
  p.child.kill('SIGTERM');
  const { code } = await p.exited;
  t.equal(code, 130);
  t.ok(await eventually(() => workers.every((w) => !alive(w))), 'the workers have exited');
  const r = rows(db);
  t.equal(r.filter((x) => x.status === 'aborted').length, 2, 'both runs in progress aborted');
  t.same(r.filter((x) => x.status === 'running'), []);
  noLeftovers(t, TMP, db, p.out());
});

t.test('--jobs 2: workers stop when their parent is killed with SIGKILL', async (t) => {
  const db = join(dir, 'orphan.sqlite');
  const p = start(args(db, 2, 400));
  await p.waitFor(/ epoch \d+\/400 /, 4);
  const workers = rows(db).filter((x) => x.status === 'running').map((x) => x.worker_pid!);
  p.child.kill('SIGKILL');
  await p.exited;
  t.ok(await eventually(() => workers.every((w) => !alive(w))), 'the orphaned workers have exited');
  t.same(
    rows(db).filter((x) => x.status !== 'pending').map((x) => [x.status, x.error]),
    workers.map(() => ['aborted', 'interrupted (the parent process ended)']),
    'their runs are marked aborted',
  );
  noLeftovers(t, TMP, db, p.out());
});
