import t from 'tap';
import { cagradCombine, cagradWeights, createCAGrad } from '../../optimizers/cagrad.js';
import { dot, gram, norm } from '../../optimizers/linalg.js';
import type { GradientAggregationMethod, StepInput } from '../../optimizers/types.js';
import { ConfigError, UnsupportedError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import { loadOracle, relErr, tolerance, toF64, toRows } from '../helpers/oracle.js';

const rng = Rng.fromSeed(0);
const input = (losses: ArrayLike<number>, epoch = 0): StepInput => ({ epoch, losses: Float64Array.from(losses), lossHistory: [], rng });

/** LibMTL's objective wᵀA(1/n)·1 + c·sqrt(wᵀAw + 1e-8) with c = calpha·sqrt(mean(A) + 1e-8) + 1e-8. */
function objective(G: Float64Array[], w: ArrayLike<number>, calpha: number): number {
  const n = G.length;
  const A = gram(G);
  let mean = 0;
  for (const row of A) for (const v of row) mean += v / (n * n);
  const c = calpha * Math.sqrt(mean + 1e-8) + 1e-8;
  const Aw = A.map((row) => dot(row, w));
  return Aw.reduce((s, v) => s + v / n, 0) + c * Math.sqrt(dot(w, Aw) + 1e-8);
}

t.test('replays every case of CAGrad.json', async (t) => {
  const file = loadOracle('CAGrad');
  const worst = {
    combine: { float32: 0, float64: 0 } as Record<string, number>,
    dw: 0,
    dobj: 0,
    vsTight: { float32: 0, float64: 0 } as Record<string, number>,
    vsLibMTL: { float32: 0, float64: 0 } as Record<string, number>,
  };
  let steps = 0;
  let stalled = 0;
  const differ: Record<string, number> = { float32: 0, float64: 0 };
  let differStalled = 0;
  for (const c of file.cases) {
    const calpha = Number(c.hyperparameters.calpha);
    const rescale = Number(c.hyperparameters.rescale) as 0 | 1 | 2;
    const m = createCAGrad(file.n, { c: calpha, rescale }) as GradientAggregationMethod;
    for (const step of c.steps) {
      steps++;
      const G = toRows(step.inputs.G);
      const returned = toF64(step.outputs.returned);
      const where = `${c.id} step ${step.index}`;
      // 1. The combination step from LibMTL's own w reproduces its update.
      const comb = cagradCombine(G, returned, calpha, rescale);
      const eComb = relErr(comb.grad, step.outputs.grad, step.inputs.G, c.dtype);
      worst.combine[c.dtype] = Math.max(worst.combine[c.dtype] ?? 0, eComb);
      t.ok(eComb <= (c.dtype === 'float32' ? 2e-4 : 1e-6), `${where}: combination from recorded w, error ${eComb.toExponential(2)}`);

      // 2. Our solver against the converged optimum w_tight.
      const res = m.aggregate(input(toF64(step.inputs.losses), step.epoch), { mode: 'param', G });
      const w = res.weights ?? new Float64Array(file.n);
      const tight = toF64(step.driver_extras?.w_tight);
      const dw = Math.max(...Array.from(w, (x, i) => Math.abs(x - (tight[i] as number))));
      const fTight = Number(step.driver_extras?.objective_at_w_tight);
      const dobj = (objective(G, w, calpha) - fTight) / Math.abs(fTight);
      worst.dw = Math.max(worst.dw, dw);
      worst.dobj = Math.max(worst.dobj, dobj);
      t.ok(dw <= 1e-4 || dobj <= 1e-6, `${where}: |Δw| = ${dw.toExponential(2)}, Δobjective = ${dobj.toExponential(2)} relative`);
      const solver = res.diagnostics?.solver as { converged: boolean };
      t.ok(solver.converged, `${where}: solver certified`);

      // 3. Our update is the combination at the optimum.
      const atTight = cagradCombine(G, tight, calpha, rescale);
      const eTight = relErr(res.grad, Array.from(atTight.grad), step.inputs.G, c.dtype);
      worst.vsTight[c.dtype] = Math.max(worst.vsTight[c.dtype] ?? 0, eTight);
      // (Only where w itself agrees: on a flat objective two certified optima can differ more.)
      if (dw <= 1e-6) t.ok(eTight <= 1e-6, `${where}: update vs combination at w_tight, error ${eTight.toExponential(2)}`);

      // 4. Against LibMTL's recorded update: equal where SLSQP converged; count the steps where it
      //    stalled (start point kept or failure reported) or stopped early.
      const rec = step.outputs.solver as { success: boolean; nit: number };
      const atStart = returned.every((x) => Math.abs(x - 1 / file.n) < 1e-12);
      const isStall = !rec.success || atStart;
      if (isStall) stalled++;
      const eLib = relErr(res.grad, step.outputs.grad, step.inputs.G, c.dtype);
      worst.vsLibMTL[c.dtype] = Math.max(worst.vsLibMTL[c.dtype] ?? 0, eLib);
      if (eLib > tolerance(c.dtype)) {
        differ[c.dtype] = (differ[c.dtype] ?? 0) + 1;
        if (isStall) differStalled++;
      }
    }
  }
  t.comment(
    `CAGrad: ${steps} steps; combination from recorded w: max error float64 ${worst.combine.float64?.toExponential(2)}, float32 ${worst.combine.float32?.toExponential(2)}`,
  );
  t.comment(`solver vs w_tight: max |Δw| ${worst.dw.toExponential(2)}, max objective excess ${worst.dobj.toExponential(2)} relative`);
  t.comment(`update vs combination at w_tight: float64 ${worst.vsTight.float64?.toExponential(2)}, float32 ${worst.vsTight.float32?.toExponential(2)}`);
  t.comment(
    `update vs LibMTL's recorded grad: max error float64 ${worst.vsLibMTL.float64?.toExponential(2)}, float32 ${worst.vsLibMTL.float32?.toExponential(2)}; ` +
      `steps beyond the dtype tolerance: ${differ.float64} float64, ${differ.float32} float32, ` +
      `${differStalled} of them SLSQP stalls (${stalled} stalled steps in all); ` +
      'the others are SLSQP stopping early (|w − w_tight| up to 1.5e-3)',
  );
});

function randomG(n: number, m: number, seed: number, scales = [1, 0.5, 2, 1.5]): Float64Array[] {
  const r = Rng.fromSeed(seed);
  return Array.from({ length: n }, (_, i) => Float64Array.from({ length: m }, () => r.normal() * (scales[i % scales.length] as number)));
}

t.test('properties', async (t) => {
  t.test('the combination step, by hand', async (t) => {
    // g1 = (1, 0), g2 = (0, 1), w = (1, 0): ḡ = (½, ½), c = 0.5·sqrt(½ + 1e-8) + 1e-8, λ = c / (1 + 1e-8).
    const G = [Float64Array.of(1, 0), Float64Array.of(0, 1)];
    const c = 0.5 * Math.sqrt(0.5 + 1e-8) + 1e-8;
    const lambda = c / (1 + 1e-8);
    for (const [rescale, scale] of [[0, 1], [1, 1.25], [2, 1.5]] as const) {
      const r = cagradCombine(G, [1, 0], 0.5, rescale);
      t.ok(Math.abs(r.lambda - lambda) < 1e-15, 'λ');
      t.ok(Math.abs((r.grad[0] as number) - (0.5 + lambda) / scale) < 1e-15 && Math.abs((r.grad[1] as number) - 0.5 / scale) < 1e-15, `rescale ${rescale}`);
      t.same(Array.from(r.coefficients), Array.from(r.grad), 'coefficients on the unit gradients');
    }
  });

  t.test('scale invariance of w, zero gradients, ×1e5: finite and certified', async (t) => {
    const G = randomG(3, 12, 4);
    const base = cagradWeights(G, 0.5).x;
    // Above ~1e-2 the absolute 1e-8 constants of LibMTL's objective are negligible.
    for (const k of [1e2, 1e5, 1e150]) {
      const w = cagradWeights(G.map((g) => g.map((x) => x * k)), 0.5);
      const dw = Math.max(...Array.from(w.x, (x, i) => Math.abs(x - (base[i] as number))));
      t.ok(w.converged, `×${k}: certified`);
      t.ok(dw < 1e-6, `×${k}: |Δw| = ${dw.toExponential(2)}`);
    }
    const m = createCAGrad(3) as GradientAggregationMethod;
    const cases: [string, Float64Array[]][] = [
      ['zero task gradient', [G[0] as Float64Array, new Float64Array(12), G[2] as Float64Array]],
      ['all zero', G.map((g) => new Float64Array(g.length))],
      ['×1e5', G.map((g) => g.map((x) => x * 1e5))],
      ['magnitude gap 1e-4/1/1e3', G.map((g, i) => g.map((x) => x * [1e-4, 1, 1e3][i]!))],
      ['near collinear', [G[0] as Float64Array, (G[0] as Float64Array).map((x, k) => x * (1 + 1e-6 * Math.sin(k))), G[2] as Float64Array]],
    ];
    for (const [what, Gc] of cases) {
      const res = m.aggregate(input([1, 1, 1]), { mode: 'param', G: Gc });
      t.ok(res.grad.every(Number.isFinite), `${what}: finite update`);
      t.ok((res.diagnostics?.solver as { converged: boolean }).converged, `${what}: solver certified`);
      const w = res.weights ?? new Float64Array(3);
      t.ok(w.every((x) => x >= 0) && Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-12, `${what}: w on the simplex`);
    }
  });

  t.test('the update stays within distance c‖ḡ‖ of ḡ and beats ḡ on the worst task', async (t) => {
    for (let seed = 0; seed < 5; seed++) {
      const G = randomG(3, 10, 20 + seed);
      const m = createCAGrad(3, { c: 0.4, rescale: 0 }) as GradientAggregationMethod;
      const d = m.aggregate(input([1, 1, 1]), { mode: 'param', G }).grad;
      const mean = Float64Array.from(d, (_, k) => G.reduce((s, g) => s + (g[k] as number) / 3, 0));
      const dist = norm(d.map((x, k) => x - (mean[k] as number)));
      t.ok(dist <= 0.4 * Math.hypot(norm(mean), 1e-4) + 1e-6, 'inside the ball');
      const worstTask = (v: Float64Array): number => Math.min(...G.map((g) => dot(g, v)));
      t.ok(worstTask(d) >= worstTask(mean) - 1e-9, 'the worst task improves at least as much as with ḡ');
    }
  });

  t.test('a few steps of real training on quadratic tasks lower every loss', async (t) => {
    const centres = [Float64Array.of(1, 0, 0), Float64Array.of(0, 1, 0), Float64Array.of(0, 0, 1)];
    const theta = Float64Array.of(3, -2, 2);
    const losses = (): number[] => centres.map((c) => 0.5 * norm(theta.map((x, k) => x - (c[k] as number))) ** 2);
    const m = createCAGrad(3) as GradientAggregationMethod;
    const start = losses();
    for (let s = 0; s < 40; s++) {
      const G = centres.map((c) => theta.map((x, k) => x - (c[k] as number)));
      const d = m.aggregate(input(losses()), { mode: 'param', G }).grad;
      for (let k = 0; k < 3; k++) theta[k] -= 0.1 * (d[k] as number);
    }
    const end = losses();
    t.ok(end.every((l, i) => l < (start[i] as number) * 0.2), `losses ${start.map((x) => x.toFixed(2))} → ${end.map((x) => x.toFixed(3))}`);
  });

  t.test('param mode only; parameters validated; label', async (t) => {
    const m = createCAGrad(3) as GradientAggregationMethod;
    const G = randomG(3, 4, 1);
    t.throws(() => m.aggregate(input([1, 1, 1]), { mode: 'rep', G, rep: { value: new Float64Array(4), perSample: G, batch: 1 } }), UnsupportedError);
    t.throws(() => createCAGrad(3, { c: -0.1 }), ConfigError);
    t.throws(() => createCAGrad(3, { rescale: 3 as never }), ConfigError);
    t.equal(m.label, 'CAGrad(c=0.5, rescale=1)');
    t.throws(() => m.aggregate(input([1, 1, 1]), { mode: 'param', G: [G[0] as Float64Array, G[1] as Float64Array, Float64Array.of(NaN, 0, 0, 0)] }), {
      name: 'NumericalError',
    });
  });
});
