import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildResults, compareConditions, type ResultRow } from '../../reports/results.js';
import { readSnapshot } from '../../reports/source.js';
import { openDb } from '../../src/run/db.js';
import { EGA_LABEL_05, EGA_LABEL_1, insertRuns, makeHandDb } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-results-'));
const file = join(dir, 'hand.sqlite');
makeHandDb(file);
const model = buildResults(readSnapshot(file), { generatedAt: 'now' });
const b = model.benchmarks[0]!;
const clean = b.conditions.find((c) => c.condition === 'clean')!;
const row = (label: string): ResultRow => {
  const r = clean.rows.find((x) => x.label === label);
  if (!r) throw new Error(`no row ${label}`);
  return r;
};

t.test('one benchmark; columns from the record with inferred directions', async (t) => {
  t.equal(model.benchmarks.length, 1);
  t.equal(b.key, 'toy/ci|clean|validation|3');
  t.same(
    b.columns.map((c) => [c.task, c.name, c.higherIsBetter, c.inferred]),
    [
      ['A', 'acc', true, true],
      ['B', 'err', false, true],
    ],
  );
  t.same(b.conditions.map((c) => c.condition), ['clean', 'snr0dB', 'abrupt2s@-9dB']);
  t.same(['abrupt1s@0dB', 'snr-3dB', 'clean', 'snr6dB', 'abrupt1s@-9dB', 'snr0dB'].sort(compareConditions), ['clean', 'snr6dB', 'snr0dB', 'snr-3dB', 'abrupt1s@0dB', 'abrupt1s@-9dB']);
});

t.test('rows: baseline first, then loss balancing, then gradient balancing (EGA one row per T, by T)', async (t) => {
  t.same(
    clean.rows.map((r) => [r.label, r.kind]),
    [
      ['Single-task baseline', 'baseline'],
      ['EW', 'loss-weighting'],
      ['CAGrad(c=0.5, rescale=1)', 'gradient-aggregation'],
      [EGA_LABEL_05, 'gradient-aggregation'],
      [EGA_LABEL_1, 'gradient-aggregation'],
      ['PCGrad', 'gradient-aggregation'],
    ],
  );
  t.same(row('Single-task baseline').components, ['STL(A)', 'STL(B)']);
  t.same(clean.singleTask.map((r) => r.label), ['STL(A)', 'STL(B)']);
});

t.test('means, sample stds, n and Student-t 95% intervals over seeds', async (t) => {
  const ew = row('EW');
  t.same(ew.seeds, [0, 1]);
  const a = ew.metrics[0]!;
  t.equal(a.n, 2);
  t.ok(Math.abs(a.mean - 0.86) < 1e-12);
  t.ok(Math.abs(a.std! - Math.SQRT2 * 0.02) < 1e-12, 'std of 0.88, 0.84 = 0.02·√2');
  // t_{0.975,1} = 12.7062047; half-width = t·s/√2 = 12.7062·0.02
  t.ok(Math.abs(a.ci95!.halfWidth - 12.706204736 * 0.02) < 1e-6);
  const e = ew.metrics[1]!;
  t.ok(Math.abs(e.mean - 2.1) < 1e-12);
  t.ok(Math.abs(e.std! - Math.SQRT2 * 0.3) < 1e-12);
  const base = row('Single-task baseline');
  t.ok(Math.abs(base.metrics[0]!.mean - 0.75) < 1e-12, 'baseline A.acc from STL(A) only');
  t.ok(Math.abs(base.metrics[1]!.mean - 2.5) < 1e-12, 'baseline B.err from STL(B) only');
  t.same(clean.deltaM.baseline.map((x) => Number(x!.toFixed(12))), [0.75, 2.5]);
  const pc = row('PCGrad');
  t.equal(pc.metrics[0]!.n, 1);
  t.equal(pc.metrics[0]!.std, null, 'one seed: no std');
  t.equal(pc.metrics[0]!.ci95, null);
});

t.test('Δm% per seed against the seed-matched baseline, mean ± std', async (t) => {
  const near = (x: number, y: number) => Math.abs(x - y) < 1e-9;
  const ew = row('EW').deltaM!;
  t.same(ew.values.map((v) => Number(v.toFixed(9))), [10, 20]);
  t.ok(near(ew.mean, 15));
  t.ok(near(ew.std!, Math.sqrt(50)));
  t.equal(row('EW').deltaMPairing, 'seed-matched');
  const ca = row('CAGrad(c=0.5, rescale=1)').deltaM!;
  t.same(ca.values.map((v) => Number(v.toFixed(9))), [22.5, 25]);
  const e1 = row(EGA_LABEL_1).deltaM!;
  t.ok(near(e1.values[0]!, 21.25));
  t.ok(near(e1.values[1]!, 50 * (0.1 / 0.7 + 1.4 / 3)));
  const e05 = row(EGA_LABEL_05).deltaM!;
  t.ok(near(e05.values[0]!, -6.25));
  t.ok(near(e05.values[1]!, 50 * (0.04 / 0.7 + 0.4 / 3)));
  const base = row('Single-task baseline').deltaM!;
  t.same(base.values, [0, 0], 'the baseline row is 0 against itself');
  const pc = row('PCGrad');
  t.equal(pc.deltaMPairing, 'mean-baseline', 'seed 2 has no STL runs: the mean baseline');
  t.ok(near(pc.deltaM!.mean, 0));
  t.match(clean.deltaM.note, /mean baseline/);
  t.equal(clean.deltaM.averaging, 'per-task');
});

t.test('per-metric averaging is an option', async (t) => {
  const m = buildResults(readSnapshot(file), { averaging: 'per-metric' });
  const c = m.benchmarks[0]!.conditions[0]!;
  t.equal(c.deltaM.averaging, 'per-metric');
  // Two tasks of one metric each: per-task and per-metric agree.
  t.ok(Math.abs(c.rows.find((r) => r.label === 'EW')!.deltaM!.mean - 15) < 1e-9);
});

t.test('noise conditions: no STL runs → no Δm% vs STL; robustness Δm% vs the own clean result', async (t) => {
  const snr = b.conditions.find((c) => c.condition === 'snr0dB')!;
  t.equal(snr.deltaM.available, false);
  t.match(snr.deltaM.note, /no single-task/);
  t.equal(snr.rows.find((r) => r.label === 'EW')!.deltaM, null);
  const ew = b.robustness.find((e) => e.label === 'EW')!;
  t.same(ew.conditions.map((c) => c.condition), ['clean', 'snr0dB', 'abrupt2s@-9dB']);
  const d = ew.conditions[1]!.deltaM!;
  // seed 0: ((0.80−0.88)/0.88 + (1.8−2.0)/1.8)/2; seed 1: ((0.80−0.84)/0.84 + 0)/2 (per metric)
  t.ok(Math.abs(d.values[0]! - 50 * (-0.08 / 0.88 - 0.2 / 1.8)) < 1e-9);
  t.ok(Math.abs(d.values[1]! - 50 * (-0.04 / 0.84)) < 1e-9);
  t.equal(ew.conditions[2]!.deltaM!.n, 1, 'abrupt evaluated for seed 0 only');
  t.equal(b.robustnessAveraging, 'per-metric');
});

t.test('failed and incomplete runs are listed, never averaged', async (t) => {
  t.same(
    model.incomplete.map((r) => [r.label, r.status, r.error]),
    [
      ['UW', 'errored', 'NumericalError: loss became NaN at epoch 2'],
      ['DWA(T=2)', 'running', null],
    ],
  );
  t.notOk(clean.rows.some((r) => r.label === 'UW' || r.label === 'DWA(T=2)'));
  t.same(model.statusCounts, { completed: 13, running: 1, pending: 0, aborted: 0, errored: 1 });
  t.same(b.provenance.gitCommits, ['abc1234']);
  t.same(b.provenance.seeds, [0, 1, 2]);
});

t.test('a known task uses its declared metrics; filters by task', async (t) => {
  const f = join(dir, 'reg.sqlite');
  const db = openDb(f);
  insertRuns(db, [
    { label: 'STL(task0)', method: 'single-task', singleTask: 0, seed: 0, evals: { clean: { 'task0/mse': 1, 'task1/mse': 5, 'task2/mse': 5 } } },
    { label: 'EW', method: 'ew', seed: 0, evals: { clean: { 'task0/mse': 2, 'task1/mse': 2, 'task2/mse': 2, 'task0/extra': 1 } } },
  ], { task: 'regression' });
  insertRuns(db, [{ label: 'EW', method: 'ew', seed: 0, evals: { clean: { 'A/acc': 1, 'B/err': 1 } } }], { task: 'toy', experiment: 'other' });
  db.close();
  const m = buildResults(readSnapshot(f), { task: 'regression' });
  t.equal(m.benchmarks.length, 1);
  const rb = m.benchmarks[0]!;
  t.same(rb.columns.map((c) => `${c.task}.${c.name}:${c.higherIsBetter}:${c.inferred}`), ['task0.mse:false:false', 'task1.mse:false:false', 'task2.mse:false:false']);
  t.match(rb.notes.join(' '), /task0\.extra/);
  const c = rb.conditions[0]!;
  t.equal(c.deltaM.available, false, 'STL(task1), STL(task2) missing');
  t.match(c.deltaM.note, /lacks task1\.mse, task2\.mse/);
  t.equal(buildResults(readSnapshot(f)).benchmarks.length, 2);
});
