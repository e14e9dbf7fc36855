import t from 'tap';
import { createDWA, dwaWeights } from '../../optimizers/dwa.js';
import { Rng } from '../../src/rng.js';
import { oracleInput, replayOracle, weighingErrors } from '../helpers/oracle.js';

const rng = Rng.fromSeed(0);
const FIELDS = ['grad', 'returned', 'objective'] as const;

t.test('DWA replays every LibMTL case of DWA.json', async (t) => {
  replayOracle(t, 'DWA', {
    fields: FIELDS,
    create: (c, file) => createDWA(file.n, { T: c.hyperparameters.T as number }),
    step: (m, s, c) => weighingErrors(m.weigh(oracleInput(s, rng)), s, c.dtype),
  });
});

t.test('DWA weights: ones before epoch 2, sum n, invariant to the loss scale', async (t) => {
  const h = [Float64Array.of(2, 1, 0.5), Float64Array.of(1.5, 1.1, 0.2)];
  t.same(Array.from(dwaWeights('DWA', 3, 0, [], 2)), [1, 1, 1]);
  t.same(Array.from(dwaWeights('DWA', 3, 1, h.slice(0, 1), 2)), [1, 1, 1]);
  const w = dwaWeights('DWA', 3, 2, h, 2);
  t.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 3) < 1e-14);
  t.ok((w[1] as number) > (w[0] as number) && (w[0] as number) > (w[2] as number), 'the task whose loss fell least weighs most');
  for (const k of [1e-4, 1e5, 1e200]) {
    const wk = dwaWeights('DWA', 3, 2, h.map((r) => r.map((x) => x * k)), 2);
    for (let i = 0; i < 3; i++) t.ok(Math.abs((wk[i] as number) - (w[i] as number)) < 1e-14, `scale ${k}, task ${i}`);
  }
  t.throws(() => createDWA(3).weigh({ epoch: 3, losses: Float64Array.of(1, 1, 1), lossHistory: h, rng }), { name: 'ShapeError' });
  t.throws(() => createDWA(3, { T: 0 }), { name: 'ConfigError' });
  t.equal(createDWA(3).label, 'DWA(T=2)');
});

t.test('DWA guards zero epoch-mean losses instead of giving NaN', async (t) => {
  const w = dwaWeights('DWA', 3, 2, [Float64Array.of(0, 0, 1), Float64Array.of(0, 1, 1)], 2);
  t.same(Array.from(w), [0, 3, 0], 'x/0 with x > 0 takes all the weight');
  const w2 = dwaWeights('DWA', 3, 2, [Float64Array.of(0, 1, 1), Float64Array.of(0, 1, 1)], 2);
  for (const x of w2) t.ok(Math.abs(x - 1) < 1e-15, '0/0 counts as ratio 1');
});
