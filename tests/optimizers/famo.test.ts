import t from 'tap';
import { combine } from '../../optimizers/common.js';
import { createFAMO } from '../../optimizers/famo.js';
import type { JsonObject, StepInput } from '../../optimizers/types.js';
import { Rng } from '../../src/rng.js';
import { relErr, replayOracle, toF64, tolerance, toRows } from '../helpers/oracle.js';

const rng = Rng.fromSeed(1);
const input = (losses: Float64Array, epoch = 0): StepInput => ({ epoch, losses, lossHistory: [], rng });
/** The README's tolerance for FAMO's logits after the Adam step. */
const wTol = (dtype: 'float32' | 'float64'): number => (dtype === 'float64' ? 1e-6 : 1e-3);

t.test('FAMO replays every case of FAMO.json: objective, update, and w after update_w(losses_next)', async (t) => {
  replayOracle(t, 'FAMO', {
    fields: ['grad', 'objective', 'w'],
    tol: (dtype, field) => (field === 'w' ? wTol(dtype) : tolerance(dtype)),
    create: (c, file) => createFAMO(file.n, { wLr: c.hyperparameters.FAMO_w_lr as number, wGamma: c.hyperparameters.FAMO_w_gamma as number }),
    step: (m, s, c, where) => {
      const inp = input(toF64(s.inputs.losses), s.epoch);
      const r = m.weigh(inp);
      m.afterStep(inp, toF64(s.inputs.losses_next));
      t.equal(r.weights, null, `${where}: returns null like LibMTL`);
      t.equal(s.outputs.returned, null);
      const want = s.outputs.state as Record<string, unknown>;
      const got = m.referenceState();
      t.same(Object.keys(got).sort(), Object.keys(want).sort(), `${where}: state keys`);
      t.equal(got.step, want.step, `${where}: step`);
      t.same(got.min_losses, want.min_losses, `${where}: min_losses`);
      return {
        grad: relErr(combine(r.coefficients, toRows(s.inputs.G)), s.outputs.grad, s.inputs.G, c.dtype),
        objective: relErr(r.objective, s.outputs.objective, null, c.dtype),
        w: relErr(toF64(got.w), want.w, null, c.dtype),
      };
    },
  });
});

t.test('FAMO properties: first step, weights move towards the slower task, JSON state, guards', async (t) => {
  // Step 1: z = 1/3; coefficients z_i/(c D_i) = (1/D_i) / Σ_j (1/D_j).
  const losses = Float64Array.of(1, 2, 4);
  const m = createFAMO(3);
  const r = m.weigh(input(losses));
  const inv = Array.from(losses, (l) => 1 / (l + 1e-8));
  const sInv = inv.reduce((a, v) => a + v, 0);
  t.ok(relErr(r.coefficients, inv.map((v) => v / sInv), null, 'float64') < 1e-15, 'first coefficients ∝ 1/L');
  t.ok(Math.abs(r.objective - Array.from(losses, (l) => Math.log(l + 1e-8) / 3).reduce((a, v) => a + v, 0) / (sInv / 3)) < 1e-14, 'first objective');
  // Task 0 improves the least: its logit increases (δ small ⇒ d_0 < 0 ⇒ Adam raises w_0).
  m.afterStep(input(losses), Float64Array.of(0.99, 1.6, 3.0));
  const w = toF64(m.referenceState().w);
  t.ok((w[0] as number) > (w[1] as number) && (w[0] as number) > (w[2] as number), `slowest task gains weight: ${Array.from(w)}`);
  // First Adam step moves each logit by ≈ lr in the sign of −d (bias-corrected Adam).
  t.ok(Math.abs(Math.abs(w[0] as number) - 0.025) < 1e-6, 'first Adam step has size lr');

  // JSON round trip, including between weigh() and afterStep().
  const a = createFAMO(3, { wLr: 0.05 });
  const seq = (k: number): [Float64Array, Float64Array] => [Float64Array.of(1 + k, 2, 3 - 0.1 * k), Float64Array.of(0.9 + k, 2.1, 2.8 - 0.1 * k)];
  for (let k = 0; k < 3; k++) {
    const [l0, l1] = seq(k);
    a.weigh(input(l0));
    a.afterStep(input(l0), l1);
  }
  const [l0, l1] = seq(3);
  a.weigh(input(l0));
  const b = createFAMO(3, { wLr: 0.05 });
  b.setState(JSON.parse(JSON.stringify(a.getState())) as JsonObject);
  a.afterStep(input(l0), l1);
  b.afterStep(input(l0), l1);
  for (let k = 4; k < 7; k++) {
    const [p0, p1] = seq(k);
    const ra = a.weigh(input(p0));
    const rb = b.weigh(input(p0));
    t.same(Array.from(rb.coefficients), Array.from(ra.coefficients), `step ${k}: identical after restore`);
    a.afterStep(input(p0), p1);
    b.afterStep(input(p0), p1);
  }
  t.same(b.getState(), a.getState());

  t.throws(() => createFAMO(3).afterStep(input(losses), losses), { name: 'ConfigError' }, 'afterStep needs a weigh first');
  t.throws(() => createFAMO(3).weigh(input(Float64Array.of(1, -1, 1))), { name: 'NumericalError' });
  t.throws(() => m.afterStep(input(losses), Float64Array.of(1, 2)), { name: 'ShapeError' });
  // Huge and tiny losses stay finite.
  const h = createFAMO(3);
  const rh = h.weigh(input(Float64Array.of(1e-6, 1, 1e5)));
  h.afterStep(input(Float64Array.of(1e-6, 1, 1e5)), Float64Array.of(0.5e-6, 1, 0.9e5));
  t.ok(rh.coefficients.every(Number.isFinite) && toF64(h.referenceState().w).every(Number.isFinite), 'extreme loss scales: finite');
  t.equal(m.label, 'FAMO(lr=0.025, gamma=0.001)');
});
