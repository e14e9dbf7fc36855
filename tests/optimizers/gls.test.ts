import t from 'tap';
import { combine } from '../../optimizers/common.js';
import { createGLS, geometricLoss } from '../../optimizers/gls.js';
import { Rng } from '../../src/rng.js';
import { ErrorTally, loadOracle, relErr, toF64, tolerance, toRows } from '../helpers/oracle.js';

const rng = Rng.fromSeed(0);
const FIELDS = ['grad', 'returned', 'objective'] as const;

t.test('GLS replays every LibMTL case of GLS.json', async (t) => {
  const oracle = loadOracle('GLS');
  const tally = new ErrorTally();
  for (const c of oracle.cases) {
    const m = createGLS(oracle.n);
    const tol = tolerance(c.dtype);
    for (const s of c.steps) {
      const G = toRows(s.inputs.G);
      const r = m.weigh({ epoch: s.epoch, losses: toF64(s.inputs.losses), lossHistory: [], rng });
      const where = `${c.id} step ${s.index}`;
      const errs = {
        grad: relErr(combine(r.coefficients, G), s.outputs.grad, s.inputs.G, c.dtype),
        returned: relErr(r.weights ?? [], s.outputs.returned, s.inputs.G, c.dtype),
        objective: relErr(r.objective, s.outputs.objective, s.inputs.G, c.dtype),
      };
      for (const [field, err] of Object.entries(errs)) {
        const e = tally.add(`${field} ${c.dtype}`, err, where);
        if (!(e <= tol)) t.fail(`${where} ${field}: error ${e} > ${tol}`);
      }
    }
  }
  t.comment(`GLS worst errors: ${tally.summary()}`);
  for (const dtype of ['float32', 'float64'] as const) {
    for (const field of FIELDS) t.ok(tally.get(`${field} ${dtype}`) <= tolerance(dtype), `${field} ${dtype} within ${tolerance(dtype)}`);
  }
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
