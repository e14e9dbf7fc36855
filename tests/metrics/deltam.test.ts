import t from 'tap';
import { near } from '../helpers/near.js';
import { deltaM, deltaMFromSpec, relativeImprovements, type MetricDecl } from '../../src/metrics/deltam.js';
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
