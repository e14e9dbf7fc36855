import t from 'tap';
import { createRLW } from '../../optimizers/rlw.js';
import { Rng } from '../../src/rng.js';
import { oracleInput, replayOracle, toF64, weighingErrors } from '../helpers/oracle.js';

t.test('RLW replays every case of RLW.json with the recorded normal draws', async (t) => {
  replayOracle(t, 'RLW', {
    fields: ['grad', 'returned', 'objective'],
    create: (_c, file) => createRLW(file.n, {}),
    step: (m, s, c) => {
      const normal = toF64((s.inputs.random_draws as { randn: unknown }).randn);
      return weighingErrors(m.weigh(oracleInput(s, Rng.fromSeed(1), { normal })), s, c.dtype, null);
    },
  });
});

t.test('RLW draws from the run generator: simplex weights, deterministic, mean 1/n', async (t) => {
  const losses = Float64Array.of(2, 1, 0.5);
  const m = createRLW(3);
  const rng = Rng.fromSeed(42);
  const mean = new Float64Array(3);
  const N = 4000;
  for (let k = 0; k < N; k++) {
    const r = m.weigh({ epoch: 0, losses, lossHistory: [], rng });
    const w = r.weights ?? new Float64Array(3);
    const s = w.reduce((a, v) => a + v, 0);
    if (Math.abs(s - 1) > 1e-12 || w.some((v) => !(v > 0))) t.fail(`step ${k}: not on the open simplex`);
    if (Math.abs(r.objective - (w[0]! * 2 + w[1]! * 1 + w[2]! * 0.5)) > 1e-12) t.fail(`step ${k}: objective`);
    for (let i = 0; i < 3; i++) mean[i] = mean[i]! + w[i]! / N;
  }
  for (let i = 0; i < 3; i++) t.ok(Math.abs(mean[i]! - 1 / 3) < 0.02, `mean weight of task ${i} ≈ 1/3 (${mean[i]!.toFixed(4)})`);
  const a = createRLW(3).weigh({ epoch: 0, losses, lossHistory: [], rng: Rng.fromSeed(5) });
  const b = createRLW(3).weigh({ epoch: 0, losses, lossHistory: [], rng: Rng.fromSeed(5) });
  t.same(Array.from(a.coefficients), Array.from(b.coefficients), 'same seed, same weights');
  t.throws(() => m.weigh({ epoch: 0, losses, lossHistory: [], rng, draws: { normal: [0, 1] } }), { name: 'ShapeError' });
  t.equal(m.label, 'RLW');
});
