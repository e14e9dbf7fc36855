import t from 'tap';
import { createGLS, geometricLoss } from '../../optimizers/gls.js';
import { Rng } from '../../src/rng.js';
import { oracleInput, replayOracle, weighingErrors } from '../helpers/oracle.js';

const rng = Rng.fromSeed(0);
const FIELDS = ['grad', 'returned', 'objective'] as const;

t.test('GLS replays every LibMTL case of GLS.json', async (t) => {
  replayOracle(t, 'GLS', {
    fields: FIELDS,
    create: (_c, file) => createGLS(file.n),
    step: (m, s, c) => weighingErrors(m.weigh(oracleInput(s, rng)), s, c.dtype),
  });
});

t.test('GLS coefficients are the derivatives of the geometric mean', async (t) => {
  const losses = Float64Array.of(0.4, 2.5, 7);
  const r = geometricLoss('GLS', losses);
  t.ok(Math.abs(r.objective - Math.cbrt(0.4 * 2.5 * 7)) < 1e-15);
  for (let i = 0; i < 3; i++) {
    const h = 1e-7;
    const lp = Float64Array.from(losses);
    lp[i] = (lp[i] as number) + h;
    const fd = (geometricLoss('GLS', lp).objective - r.objective) / h;
    t.ok(Math.abs(fd - (r.coefficients[i] as number)) < 1e-6, `d/dL_${i}`);
  }
});

t.test('GLS: products that leave the double range give the same values; zero and negative losses', async (t) => {
  // Homogeneity: objective(kL) = k objective(L), coefficients unchanged, weights / k^(n-1).
  const base = Float64Array.of(0.4, 2.5, 7);
  const r = geometricLoss('GLS', base);
  for (const k of [1e-120, 1e-4, 1e5, 1e120]) {
    const rk = geometricLoss('GLS', base.map((x) => x * k));
    t.ok(Math.abs(rk.objective / k - r.objective) <= 1e-12 * r.objective, `objective scales, k=${k}`);
    for (let i = 0; i < 3; i++) {
      t.ok(Math.abs((rk.coefficients[i] as number) - (r.coefficients[i] as number)) <= 1e-12, `coefficient ${i}, k=${k}`);
      const w = (rk.weights?.[i] as number) * k * k;
      t.ok(Number.isFinite(w) && Math.abs(w - (r.weights?.[i] as number)) <= 1e-12 * (r.weights?.[i] as number), `weight ${i}, k=${k}`);
    }
  }
  const z = createGLS(3).weigh({ epoch: 0, losses: Float64Array.of(1, 0, 2), lossHistory: [], rng });
  t.equal(z.objective, 0);
  t.same(Array.from(z.coefficients), [0, 0, 0]);
  t.equal(z.weights, null);
  t.throws(() => geometricLoss('GLS', Float64Array.of(1, -1, 2)), { name: 'NumericalError' });
  t.throws(() => createGLS(2).weigh({ epoch: 0, losses: Float64Array.of(1), lossHistory: [], rng }), { name: 'ShapeError' });
});
