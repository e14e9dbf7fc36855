import t from 'tap';
import { near } from '../helpers/near.js';
import { DEFAULT_METRIC_FLOOR, deltaM, deltaMFromSpec, deltaMInScope, deltaMScope, describeExclusion, floorOf, relativeImprovements, screenBaseline, type MetricDecl } from '../../src/metrics/deltam.js';
import { ConfigError } from '../../src/errors.js';
import { TABLE2_DELTA_M, TABLE2_METRICS, longTermDeltaMSpec } from '../../src/tasks/radar-ecg/metric-spec.js';


// A LibMTL-style example: two tasks, three metrics.
const decls: MetricDecl[] = [
  { task: 'seg', name: 'mIoU', higherIsBetter: true },
  { task: 'seg', name: 'pixAcc', higherIsBetter: true },
  { task: 'depth', name: 'absErr', higherIsBetter: false },
];

t.test('per-task and per-metric averaging by hand', async (t) => {
  const base = [50, 80, 0.4];
  const row = [55, 76, 0.3];
  // seg: (55 − 50)/50 = 0.1, (76 − 80)/80 = −0.05 → mean 0.025; depth: (0.4 − 0.3)/0.4 = 0.25.
  t.same(Array.from(relativeImprovements(decls, base, row)).map((x) => +x.toFixed(12)), [0.1, -0.05, 0.25]);
  // per task: 100 · (0.025 + 0.25)/2 = 13.75; per metric: 100 · (0.1 − 0.05 + 0.25)/3 = 10.
  t.ok(...near(deltaM(decls, base, row, 'per-task'), 13.75, 1e-10, 'per-task'));
  t.ok(...near(deltaM(decls, base, row, 'per-metric'), 10, 1e-10, 'per-metric'));
  t.ok(...near(deltaM(decls, base, row), 13.75, 1e-10, 'default is per-task'));
  t.equal(deltaM(decls, base, base), 0, 'the baseline itself scores 0');
  // Task grouping follows the declared task, not adjacency.
  const shuffled: MetricDecl[] = [decls[0]!, decls[2]!, decls[1]!];
  t.ok(...near(deltaM(shuffled, [50, 0.4, 80], [55, 0.3, 76]), 13.75, 1e-10, 'non-adjacent task metrics'));
});

t.test('radarODE-MTL Table II rows', async (t) => {
  // STCH: [0.070 mV, 88.0%, 13.9 ms, 5.5 ms, 3.28%] against [0.106, 0.866, 9.6, 7.5, 6.67].
  const shape = ((0.106 - 0.07) / 0.106 + (0.88 - 0.866) / 0.866) / 2;
  const ppi = (9.6 - 13.9) / 9.6;
  const anchor = ((7.5 - 5.5) / 7.5 + (6.67 - 3.28) / 6.67) / 2;
  const byHand = (100 * (shape + ppi + anchor)) / 3;
  const stch = deltaMFromSpec(TABLE2_DELTA_M, [0.07, 0.88, 13.9, 5.5, 3.28]);
  t.ok(...near(stch, byHand, 1e-10, 'STCH by hand'));
  t.ok(...near(stch, 3.9, 0.05, 'STCH as printed in the paper (3.90%)'));
  // The notebook's own printed STCH row (RMSE 0.0702) gives 3.88, printed as +3.9%.
  t.ok(...near(deltaMFromSpec(TABLE2_DELTA_M, [0.0702, 0.88, 13.9, 5.5, 3.28]), 3.88, 0.005, 'notebook row'));
  // IMTL: [0.088, 89.4%, 9.3, 6.0, 6.22%] → 8.90% in the paper.
  t.ok(...near(deltaMFromSpec(TABLE2_DELTA_M, [0.088, 0.894, 9.3, 6.0, 6.22]), 8.9, 0.05, 'IMTL'));
  t.equal(TABLE2_METRICS.map((m) => m.label).join(' | '), 'RMSE (mV) | PCC | PPI Error (ms) | Timing Error (ms) | MDR');
});

t.test('long-term Δm is a flat mean over four metrics', async (t) => {
  const spec = longTermDeltaMSpec([0.089, 0.8503, 8.22, 4.08]);
  t.equal(spec.averaging, 'per-metric');
  const row = [0.088, 0.8531, 8.18, 4.2];
  const byHand = (100 * ((0.089 - 0.088) / 0.089 + (0.8531 - 0.8503) / 0.8503 + (8.22 - 8.18) / 8.22 + (4.08 - 4.2) / 4.08)) / 4;
  t.ok(...near(deltaMFromSpec(spec, row), byHand, 1e-10, 'radarODE-MTL at 6 dB'));
});

t.test('errors name the field', async (t) => {
  t.throws(() => deltaM(decls, [1, 2], [1, 2, 3]), { name: 'ConfigError', message: /baseline.*one value per declared metric \(3\)/ });
  t.throws(() => deltaM(decls, [1, 2, 3], [1, 2]), { name: 'ConfigError', message: /values/ });
  t.throws(() => deltaM(decls, [50, 0, 0.4], [1, 2, 3]), { name: 'ConfigError', message: /baseline of seg\.pixAcc: got 0, expected a non-zero baseline/ });
  t.throws(() => deltaM(decls, [50, 80, 0.4], [1, NaN, 3]), { name: 'ConfigError', message: /value of seg\.pixAcc/ });
  t.throws(() => deltaM(decls, [50, 80, 0.4], [1, 2, 3], 'flat' as never), { name: 'ConfigError', message: /averaging: got "flat", expected one of per-task, per-metric/ });
  t.throws(() => deltaM([], [], []), ConfigError);
  t.throws(() => deltaM([decls[0]!, decls[0]!], [1, 1], [1, 1]), { message: /declared once/ });
});

t.test('floor rule: a negative or near-zero baseline is left out, never inflated', async (t) => {
  // Table II declarations with their floors; a baseline whose PCC is −1.69 % (of the wrong sign),
  // then ones whose PCC is near zero, either sign.
  const row = [0.15, 0.2, 30, 12, 20];
  const rest = [0.2, 40, 15, 25];
  const others = (base: number[]): number =>
    // Δm% by hand without the PCC term: shape is RMSE alone.
    (100 * ((base[0]! - row[0]!) / base[0]! + (base[2]! - row[2]!) / base[2]! + ((base[3]! - row[3]!) / base[3]! + (base[4]! - row[4]!) / base[4]!) / 2)) / 3;
  for (const pcc of [-0.0169, -0.5, -1e-9, 0, 1e-9, 1e-4, 0.0999]) {
    const base = [rest[0]!, pcc, ...rest.slice(1)];
    const ex = screenBaseline(TABLE2_METRICS, [base]);
    t.same(ex.map((e) => [e.task, e.name, e.reason]), [['shape', 'pcc', pcc <= 0 ? 'non-positive' : 'below-floor']], `PCC ${pcc}`);
    const scope = deltaMScope(TABLE2_METRICS, ex);
    t.same(scope.droppedTasks, []);
    const v = deltaMInScope(TABLE2_METRICS, scope, base, row)!;
    t.ok(...near(v, others(base), 1e-9, `PCC ${pcc}: Δm% over the other four metrics`));
    t.ok(Math.abs(v) < 100, `PCC ${pcc}: no ±hundreds of % (${v.toFixed(2)})`);
  }
  // The same row against PCC −0.0169 without the rule: the inflated value the rule refuses.
  t.ok(Math.abs(deltaM(TABLE2_METRICS, [0.2, -0.0169, 40, 15, 25], row)) > 100, 'unguarded term explodes');
  // At or above the floor the term enters.
  t.same(screenBaseline(TABLE2_METRICS, [[0.2, 0.1, 40, 15, 25]]), []);
  t.equal(describeExclusion(screenBaseline(TABLE2_METRICS, [[0.2, -0.0169, 40, 15, 25]])[0]!), 'shape.pcc (baseline -0.0169 ≤ 0, a relative change against a non-positive value is meaningless)');
  t.match(describeExclusion(screenBaseline(TABLE2_METRICS, [[0.2, 1e-4, 40, 15, 25]])[0]!), /shape\.pcc \(baseline \|0\.0001\| below the floor 0\.1\)/);
});

t.test('floor rule: any seed failing excludes the metric; whole tasks drop out; nothing left is null', async (t) => {
  const good = [0.1, 0.8, 10, 7, 6];
  // One seed of three with a timing error of 0 ms (the leak): excluded for every seed.
  const ex = screenBaseline(TABLE2_METRICS, [good, [0.1, 0.8, 10, 0, 6], good]);
  t.same(ex.map((e) => `${e.task}.${e.name}:${e.baseline}`), ['anchor.timingErrorMs:0']);
  // Skipped entries (a seed without the value) do not count.
  t.same(screenBaseline(TABLE2_METRICS, [[null, 0.8, undefined, 7, 6]]), []);
  // Both anchor metrics excluded: per-task averaging over shape and PPI only.
  const both = screenBaseline(TABLE2_METRICS, [[0.1, 0.8, 10, 0.5, 0.2]]);
  const scope = deltaMScope(TABLE2_METRICS, both);
  t.same(scope.droppedTasks, ['anchor']);
  const row = [0.09, 0.84, 9, 100, 100];
  const byHand = (100 * (((0.1 - 0.09) / 0.1 + (0.84 - 0.8) / 0.8) / 2 + (10 - 9) / 10)) / 2;
  t.ok(...near(deltaMInScope(TABLE2_METRICS, scope, [0.1, 0.8, 10, 0.5, 0.2], row)!, byHand, 1e-10, 'average over the remaining tasks'));
  const none = deltaMScope(TABLE2_METRICS, screenBaseline(TABLE2_METRICS, [[0, 0, 0, 0, 0]]));
  t.same(none.kept, []);
  t.equal(deltaMInScope(TABLE2_METRICS, none, [0, 0, 0, 0, 0], row), null);
  // Metrics without a floor get the default one.
  t.equal(floorOf(decls[0]!), DEFAULT_METRIC_FLOOR);
  t.same(screenBaseline(decls, [[1e-7, 80, 0.4]]).map((e) => e.reason), ['below-floor']);
  t.same(screenBaseline(decls, [[1e-5, 80, NaN]]).map((e) => e.reason), ['not-finite']);
  // Every radar-ECG Table II and long-term metric states its floor.
  t.ok(TABLE2_METRICS.every((m) => typeof m.floor === 'number' && m.floor > 0 && m.floor < TABLE2_DELTA_M.baseline[TABLE2_METRICS.indexOf(m)]!));
});
