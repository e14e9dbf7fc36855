import t from 'tap';
import { combine } from '../../optimizers/common.js';
import { createFairGrad, fairGradWeights } from '../../optimizers/fairgrad.js';
import { dot, gram } from '../../optimizers/linalg.js';
import { fairGradResidual } from '../../optimizers/solvers/fairgrad.js';
import type { StepInput } from '../../optimizers/types.js';
import { Rng } from '../../src/rng.js';
import { ErrorTally, loadOracle, relErr, toF64, tolerance, toRows } from '../helpers/oracle.js';

const rng = Rng.fromSeed(1);
const input = (losses: Float64Array, epoch = 0): StepInput => ({ epoch, losses, lossHistory: [], rng });
/** The README's tolerance for the combination step from the recorded weights. */
const combTol = (dtype: 'float32' | 'float64'): number => (dtype === 'float64' ? 1e-6 : 2e-4);

t.test('FairGrad replays every case of FairGrad.json: combination, residual, and weights vs least_squares', async (t) => {
  const oracle = loadOracle('FairGrad');
  const tally = new ErrorTally();
  for (const c of oracle.cases) {
    const alpha = c.hyperparameters.FairGrad_alpha as number;
    const m = createFairGrad(oracle.n, { alpha });
    for (const s of c.steps) {
      const G = toRows(s.inputs.G);
      const A = gram(G);
      const r = m.aggregate(input(toF64(s.inputs.losses), s.epoch), { mode: 'param', G });
      const where = `${c.id} step ${s.index}`;
      const libW = toF64(s.outputs.returned);
      // 1. The combination step from LibMTL's own weights reproduces its gradient.
      const comb = tally.add(`combination ${c.dtype}`, relErr(combine(libW, G), s.outputs.grad, s.inputs.G, c.dtype), where);
      if (!(comb <= combTol(c.dtype))) t.fail(`${where} combination: error ${comb}`);
      // 2. Our weights solve A w = w^{-1/α} (relative residual), and our update is Σ w_i g_i.
      const res = tally.add(`residual ours ${c.dtype}`, fairGradResidual(A, r.weights ?? [], alpha), where);
      if (!(res <= 1e-10)) t.fail(`${where}: residual ${res}`);
      tally.add(`residual libmtl ${c.dtype}`, fairGradResidual(A, libW, alpha), where);
      if (!(relErr(r.grad, Array.from(combine(r.weights ?? [], G)), null, 'float64') <= 1e-15)) t.fail(`${where}: update is not Σ w g`);
      t.same(Array.from(r.headScale ?? []), Array.from(r.weights ?? []), `${where}: heads scaled by w`);
      // 3. Informative: distance to least_squares' answer (its tolerance, not ours).
      const dw = tally.add(`weights vs least_squares ${c.dtype}`, relErr(r.weights ?? [], s.outputs.returned, null, 'float64'), where);
      if (!(dw <= 1e-5)) t.fail(`${where}: weights differ from least_squares' by ${dw}`);
      tally.add(`grad vs LibMTL ${c.dtype}`, relErr(r.grad, s.outputs.grad, s.inputs.G, c.dtype), where);
    }
  }
  t.comment(`FairGrad worst errors: ${tally.summary()}`);
  for (const dtype of ['float32', 'float64'] as const) {
    t.ok(tally.get(`combination ${dtype}`) <= combTol(dtype), `combination ${dtype} within ${combTol(dtype)}`);
    t.ok(tally.get(`residual ours ${dtype}`) <= 1e-10, `our residual ${dtype} ≤ 1e-10`);
  }
});

function gaussian(seed: number, scales = [1, 1, 1], m = 20): Float64Array[] {
  const r = Rng.fromSeed(seed);
  return scales.map((s) => Float64Array.from({ length: m }, () => s * r.normal()));
}

t.test('FairGrad properties: orthogonal hand case, α-fairness, scale law, guards', async (t) => {
  // Orthogonal gradients: w_i ‖g_i‖² = w_i^{-1/α} → w_i = ‖g_i‖^{-2α/(α+1)}.
  const orth = [Float64Array.of(2, 0, 0), Float64Array.of(0, 0.5, 0), Float64Array.of(0, 0, 1)];
  for (const alpha of [0.5, 1, 2]) {
    const { w } = fairGradWeights(gram(orth), alpha);
    const want = [2, 0.5, 1].map((nv) => nv ** ((-2 * alpha) / (alpha + 1)));
    t.ok(relErr(w, want, null, 'float64') < 1e-12, `α=${alpha}: orthogonal closed form`);
  }
  // Every task's improvement rate is w_i^{-1/α} > 0: no task is hurt.
  for (let seed = 0; seed < 10; seed++) {
    const G = gaussian(seed);
    const r = createFairGrad(3, { alpha: 2 }).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G });
    G.forEach((g, i) => {
      const rate = dot(g, r.grad);
      const w = (r.weights ?? [])[i] as number;
      if (!(Math.abs(rate * w ** 0.5 - 1) < 1e-10)) t.fail(`seed ${seed} task ${i}: rate ${rate}`);
    });
    // Scale law: G → kG gives w → k^{-2/(1+1/α)} w.
    const k = 1e5;
    const rk = createFairGrad(3, { alpha: 2 }).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G: G.map((g) => g.map((v) => v * k)) });
    const f = k ** (-2 / (1 + 0.5));
    if (!(relErr((rk.weights ?? new Float64Array(3)).map((v) => v / f), Array.from(r.weights ?? []), null, 'float64') < 1e-10)) t.fail(`seed ${seed}: x1e5 scale law`);
  }
  t.pass('improvement rates and scale law on 10 random problems');

  // A zero gradient: solved for the others; the degenerate task gets their mean (LibMTL: ~677).
  const G = gaussian(40);
  const zero = [G[0]!, new Float64Array(20), G[2]!];
  const rz = createFairGrad(3).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G: zero });
  const w = rz.weights ?? new Float64Array(3);
  const sub = fairGradWeights(gram([G[0]!, G[2]!]), 1).w;
  t.ok(relErr([w[0]!, w[2]!], Array.from(sub), null, 'float64') < 1e-14, 'zero gradient: others solved alone');
  t.ok(Math.abs(w[1]! - (sub[0]! + sub[1]!) / 2) < 1e-14 && w[1]! < 10, `zero gradient: weight ${w[1]} (not ~677)`);
  t.same(rz.diagnostics?.degenerate, [1]);
  const g = gaussian(41)[0]!;
  const cases: [string, Float64Array[]][] = [
    ['near collinear 1e-3', [g, g.map((x, k) => x * (1 + 1e-3 * Math.sin(k))), g.map((x, k) => x * (1 + 1e-3 * Math.cos(k)))]],
    ['near collinear 1e-6', [g, g.map((x, k) => x * (1 + 1e-6 * Math.sin(k))), g.map((x, k) => x * (1 + 1e-6 * Math.cos(k)))]],
    ['scales 1e-4/1/1e3', gaussian(42, [1e-4, 1, 1e3])],
    ['x1e5', gaussian(43, [1e5, 1e5, 1e5])],
  ];
  for (const [name, Gc] of cases) {
    for (const alpha of [1, 2]) {
      const r = createFairGrad(3, { alpha }).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G: Gc });
      t.ok(r.grad.every(Number.isFinite) && fairGradResidual(gram(Gc), r.weights ?? [], alpha) < 1e-8, `${name} α=${alpha}: finite, residual ${fairGradResidual(gram(Gc), r.weights ?? [], alpha).toExponential(1)}`);
    }
  }
  // Nearly cancelling gradients (g_2 ≈ −g_1): solved to float64's accuracy and flagged.
  const opp = [g, g.map((x, k) => -x * (1 + 1e-3 * Math.sin(k))), gaussian(44)[0]!];
  for (const alpha of [1, 2]) {
    const ro = createFairGrad(3, { alpha }).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G: opp });
    t.ok(fairGradResidual(gram(opp), ro.weights ?? [], alpha) < 1e-6, `near-opposed 1e-3 α=${alpha}: status ${String(ro.diagnostics?.status)}`);
  }
  const all0 = createFairGrad(3).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G: [new Float64Array(4), new Float64Array(4), new Float64Array(4)] });
  t.same(Array.from(all0.weights ?? []), [1 / 3, 1 / 3, 1 / 3], 'all gradients zero: 1/n');
  // Exactly opposed gradients: no solution; reported, not silent.
  t.throws(() => createFairGrad(2).aggregate(input(Float64Array.of(1, 1)), { mode: 'param', G: [Float64Array.of(1, 2), Float64Array.of(-1, -2)] }), { name: 'NumericalError' });
  t.throws(() => createFairGrad(3).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'rep', G }), { name: 'UnsupportedError' });
  t.throws(() => createFairGrad(3, { alpha: 0 }), { name: 'ConfigError' });
  t.equal(createFairGrad(3).label, 'FairGrad(alpha=1)');
});
