/**
 * Stopping when asked with --jobs 1, with real processes and signals: the first SIGTERM/SIGINT
 * stops within the run and marks it aborted, a second signal exits at once, nothing temporary is
 * left, no stack trace; and the ETA never prints NaN.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { noLeftovers, rows, start as startIn } from '../helpers/processes.js';
import { etaText, formatEta } from '../../src/run/progress.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-stop-'));
const TMP = join(dir, 'tmp');
mkdirSync(TMP);
const start = (a: string[]) => startIn(a, dir, TMP);
const args = (db: string, jobs: number, epochs: number) => ['run', '--preset', 'regression-ci', '--optimizers', 'EW', '--seeds', '0', '--epochs', String(epochs), '--data-dir', join(dir, 'data'), '--jobs', String(jobs), '--db', db];

t.test('ETA text is a duration or --, never NaN', async (t) => {
  const odd = [NaN, Infinity, -Infinity, -1, 0, 1e-12, 0.5, 1, 1 + 1e-9, 2];
  for (const el of [NaN, -5, 0, 0.001, 12, 1e7, Infinity]) for (const f of odd) t.match(etaText(el, f), /^(--|\d+s|\d+m\d\ds|\d+h\d\dm)$/, `etaText(${el}, ${f})`);
  t.equal(formatEta(3725), '1h02m');
  t.equal(formatEta(65), '1m05s');
  t.equal(etaText(10, 0.5), '10s');
});

t.test('--jobs 1: SIGTERM stops within the run, marks it aborted and cleans up', async (t) => {
  const db = join(dir, 'j1.sqlite');
  const p = start(args(db, 1, 400));
  await p.waitFor(/ epoch \d+\/400 /, 2);
  p.child.kill('SIGTERM');
  const { code } = await p.exited;
  t.equal(code, 130, 'exit code 130');
  t.match(p.out(), /Stopped; run the same command again to resume/);
  const r = rows(db);
  t.same(r.filter((x) => x.status === 'aborted').map((x) => x.label), ['STL(task0)'], 'the run in progress is aborted');
  t.ok(r[0]!.epochs_done < 400, `it stopped early (${r[0]!.epochs_done} of 400 epochs)`);
  t.same(r.filter((x) => x.status === 'running'), [], 'no run left running');
  noLeftovers(t, TMP, db, p.out());
});

t.test('--jobs 1: a second SIGINT exits at once; a stop before any checkpoint leaves no folder', async (t) => {
  const db = join(dir, 'j1b.sqlite');
  const p = start(args(db, 1, 400));
  await p.waitFor(/ start STL\(task0\)/);
  p.child.kill('SIGINT');
  p.child.kill('SIGINT');
  const { code } = await p.exited;
  t.equal(code, 130);
  const r = rows(db);
  t.same(r.filter((x) => x.status === 'running'), [], 'no run left running');
  t.equal(r[0]!.status, 'aborted');
  noLeftovers(t, TMP, db, p.out());
});
