import t from 'tap';
import { createMoCo } from '../../optimizers/moco.js';
import type { JsonObject, TaskGradients } from '../../optimizers/types.js';
import { Rng } from '../../src/rng.js';
import { aggregationErrors, oracleInput, relErr, replayOracle, toF64, toRows } from '../helpers/oracle.js';

const FIELDS = ['grad', 'returned', 'y', 'lambd'] as const;
const rng = Rng.fromSeed(0);

t.test('MoCo replays every LibMTL case of MoCo.json, state included', async (t) => {
  replayOracle(t, 'MoCo', {
    fields: FIELDS,
    create: (c, file) => {
      const h = c.hyperparameters;
      return createMoCo(file.n, {
        beta: h.MoCo_beta as number,
        betaSigma: h.MoCo_beta_sigma as number,
        gamma: h.MoCo_gamma as number,
        gammaSigma: h.MoCo_gamma_sigma as number,
        rho: h.MoCo_rho as number,
      });
    },
    step: (m, s, c, where) => {
      const r = m.aggregate(oracleInput(s, rng), { mode: 'param', G: toRows(s.inputs.G) });
      const want = s.outputs.state as Record<string, unknown>;
      const got = m.referenceState?.() ?? {};
      t.same(Object.keys(got).sort(), Object.keys(want).sort(), `${where}: state keys`);
      t.equal(got.step, want.step, `${where}: step`);
      return {
        ...aggregationErrors(r, s, c.dtype),
        y: relErr(toF64(got.y), want.y, s.inputs.G, c.dtype),
        lambd: relErr(toF64(got.lambd), want.lambd, s.inputs.G, c.dtype),
      };
    },
  });
});

function problem(seed: number, scales = [1, 1, 1]): TaskGradients {
  const r = Rng.fromSeed(seed);
  return { mode: 'param', G: scales.map((s) => Float64Array.from({ length: 12 }, () => s * r.normal())) };
}
const losses = (k: number, scale = 1): Float64Array => Float64Array.of(1 + 0.1 * k, 0.5, 2 / (k + 1)).map((x) => x * scale);

t.test('MoCo state round-trips through JSON and continues bit for bit', async (t) => {
  const a = createMoCo(3, { rho: 0.1 });
  t.same(a.getState(), { y: null, lambda: [1 / 3, 1 / 3, 1 / 3], step: 0 });
  for (let k = 0; k < 3; k++) a.aggregate({ epoch: 0, losses: losses(k), lossHistory: [], rng }, problem(k));
  const b = createMoCo(3, { rho: 0.1 });
  b.setState(JSON.parse(JSON.stringify(a.getState())) as JsonObject);
  for (let k = 3; k < 6; k++) {
    const ra = a.aggregate({ epoch: 0, losses: losses(k), lossHistory: [], rng }, problem(k));
    const rb = b.aggregate({ epoch: 0, losses: losses(k), lossHistory: [], rng }, problem(k));
    t.same(Array.from(rb.grad), Array.from(ra.grad), `step ${k}`);
  }
  t.same(b.getState(), a.getState());
  t.equal(a.label, 'MoCo(beta=0.5, beta_sigma=0.5, gamma=0.1, gamma_sigma=0.5, rho=0.1)');
});

t.test('MoCo guards: zero gradient, scales, x1e5; bad inputs are errors', async (t) => {
  const zero = createMoCo(3);
  for (let k = 0; k < 10; k++) {
    const p = problem(k);
    const r = zero.aggregate({ epoch: 0, losses: losses(k), lossHistory: [], rng }, { mode: 'param', G: [p.G[0] as Float64Array, new Float64Array(12), p.G[2] as Float64Array] });
    if (!r.grad.every(Number.isFinite) || !(r.weights ?? []).every(Number.isFinite)) t.fail(`zero gradient: non-finite at step ${k}`);
  }
  // The normalised gradients make y independent of the gradient scale (up to the 1e-8), and λ
  // depends on the loss values only.
  const ref = createMoCo(3);
  const scaled = createMoCo(3);
  const huge = createMoCo(3);
  for (let k = 0; k < 10; k++) {
    const r0 = ref.aggregate({ epoch: 0, losses: losses(k), lossHistory: [], rng }, problem(k));
    const r1 = scaled.aggregate({ epoch: 0, losses: losses(k), lossHistory: [], rng }, problem(k, [1e3, 1e3, 1e3]));
    t.ok(relErr(r1.grad, Array.from(r0.grad), null, 'float64') < 1e-7, `gradient scale ${k}`);
    const rh = huge.aggregate({ epoch: 0, losses: losses(k, 1e5), lossHistory: [], rng }, problem(k, [1e5, 1e5, 1e5]));
    if (!rh.grad.every(Number.isFinite) || !(rh.weights ?? []).every(Number.isFinite)) t.fail(`x1e5: non-finite at step ${k}`);
    const lam = rh.weights ?? new Float64Array(3);
    t.ok(Math.abs(lam.reduce((a, b) => a + b, 0) - 1) < 1e-12, 'λ on the simplex');
  }
  const m = createMoCo(3);
  t.throws(() => m.aggregate({ epoch: 0, losses: losses(0), lossHistory: [], rng }, { mode: 'rep', G: problem(0).G }), { name: 'UnsupportedError', message: /MoCo/ });
  t.throws(() => m.aggregate({ epoch: 0, losses: Float64Array.of(NaN, 1, 1), lossHistory: [], rng }, problem(0)), { name: 'NumericalError' });
  m.aggregate({ epoch: 0, losses: losses(0), lossHistory: [], rng }, problem(0));
  t.throws(() => m.aggregate({ epoch: 0, losses: losses(0), lossHistory: [], rng }, { mode: 'param', G: [new Float64Array(3), new Float64Array(3), new Float64Array(3)] }), { name: 'ShapeError' });
  t.throws(() => createMoCo(3, { beta: 2 }), { name: 'ConfigError' });
});
