/**
 * What a run's numbers depend on: the same seed trains identically whatever the evaluation
 * conditions; `--epochs` rescales the cosine schedule; the epoch selection stays finite and
 * meaningful when the first epoch's metrics are degenerate.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { selectionScore } from '../../src/run/runner.js';
import { learningRateAt, scaleSchedule } from '../../src/tf/optim.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'mtl-bench.js');
const dir = mkdtempSync(join(tmpdir(), 'mtl-protocol-'));

function run(name: string, cfg: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  const db = join(dir, `${name}.sqlite`);
  const r = spawnSync(process.execPath, [BIN, 'run', '--config', file, '--db', db], { encoding: 'utf8', cwd: dir });
  if (r.status !== 0) throw new Error(`run ${name} failed (${r.status}): ${r.stderr}`);
  return db;
}

function rows<T>(db: string, sql: string): T[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all() as T[];
  } finally {
    d.close();
  }
}

t.test('the same seed under two evaluation-noise lists trains identically; --epochs rescales the cosine T_max', async (t) => {
  const base = { task: 'radar-ecg', preset: 'ci', optimizers: ['EW'], seeds: [3], epochs: 2, trivial: false };
  const a = run('a', { ...base, name: 'a', noise: { eval: ['clean'] } });
  const b = run('b', { ...base, name: 'b', noise: { eval: ['clean', 'snr0dB', 'abrupt2s@-9dB'] } });
  const losses = (db: string) => rows<{ epoch: number; task: string; value: number }>(db, "SELECT epoch, task, value FROM epoch_metrics WHERE split = 'train' ORDER BY epoch, task");
  t.equal(losses(a).length, 6);
  t.same(losses(b), losses(a), 'identical training losses, bit for bit');
  const val = (db: string) => rows(db, "SELECT epoch, task, metric, value FROM epoch_metrics WHERE split = 'val' ORDER BY epoch, task, metric");
  t.same(val(b), val(a), 'identical validation metrics');
  // The ci preset runs 4 epochs with T_max = 2; a 2-epoch run has T_max = 1: 5e-3, then the floor 5e-5.
  const lr = rows<{ learning_rate: number }>(a, 'SELECT learning_rate FROM timings ORDER BY epoch').map((r) => r.learning_rate);
  t.same(lr, [5e-3, 5e-5]);
});

t.test('schedules follow the run length', async (t) => {
  const cos = { kind: 'cosine', tMax: 100, etaMin: 5e-5 } as const;
  t.same(scaleSchedule(cos, 200, 40), { ...cos, tMax: 20 });
  t.equal(learningRateAt(5e-3, scaleSchedule(cos, 200, 40), 20), 5e-5, 'the floor at half the run');
  t.same(scaleSchedule({ kind: 'step', stepSize: 100, gamma: 0.5 }, 200, 20), { kind: 'step', stepSize: 10, gamma: 0.5 });
  t.same(scaleSchedule({ kind: 'constant' }, 4, 40), { kind: 'constant' });
});

t.test('selection with a degenerate first epoch stays finite and picks the better epoch', async (t) => {
  const metrics = [
    { task: 'shape', name: 'pcc', higherIsBetter: true },
    { task: 'ppi', name: 'ppiErrorMs', higherIsBetter: false },
  ];
  const tasks = ['shape', 'ppi'];
  // Validation losses, relative to the first epoch's: the PCC of −0.00015 that broke the metric-based score plays no part.
  const first = [0.09, 5.2];
  const s0 = selectionScore('validation', metrics, first, first, null, tasks);
  const s1 = selectionScore('validation', metrics, first, [0.03, 4.1], null, tasks);
  const worse = selectionScore('validation', metrics, first, [0.2, 5.3], null, tasks);
  t.equal(s0, -1);
  t.ok(Number.isFinite(s1) && s1 > s0 && s0 > worse, 'a better epoch scores higher, a worse one lower');
  t.equal(selectionScore('validation', metrics, first, [NaN, 4], null, tasks), -Infinity, 'a diverged epoch is never selected');
  t.ok(selectionScore('validation', metrics, first, [0.2, 1], 1, tasks) > s0, 'a single-task run reads only its task');
  // The reference's score over test metrics is kept for `selection: test-reference`; a zero reference is left out.
  t.ok(Number.isFinite(selectionScore('test-reference', metrics, [0, 100], [0.5, 90], null, tasks)));
});
