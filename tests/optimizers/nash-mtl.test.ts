import t from 'tap';
import { fairGradWeights } from '../../optimizers/fairgrad.js';
import { dot, gram } from '../../optimizers/linalg.js';
import { clipGradNorm, createNashMTL } from '../../optimizers/nash-mtl.js';
import { nashResidual } from '../../optimizers/solvers/nash.js';
import type { JsonObject, StepInput } from '../../optimizers/types.js';
import { Rng } from '../../src/rng.js';
import { relErr } from '../helpers/oracle.js';

// Nash-MTL has no reference vectors (cvxpy was unavailable to the oracle): its solution is checked
// against the optimality conditions of the bargaining problem, α_i (g_i · Σ_j α_j g_j) = 1, α > 0.

const rng = Rng.fromSeed(1);
const input = (n = 3): StepInput => ({ epoch: 0, losses: new Float64Array(n).fill(1), lossHistory: [], rng });

function gaussian(seed: number, scales = [1, 1, 1], m = 20): Float64Array[] {
  const r = Rng.fromSeed(seed);
  return scales.map((s) => Float64Array.from({ length: m }, () => s * r.normal()));
}

t.test('Nash-MTL solves the bargaining conditions on random and conflicting problems', async (t) => {
  let worst = 0;
  for (let seed = 0; seed < 40; seed++) {
    const n = 2 + (seed % 4);
    const G = gaussian(seed, Array.from({ length: n }, (_, i) => 0.5 + i), 16);
    if (seed % 2 === 1) G[1] = G[0]!.map((v, k) => -0.7 * v + 0.3 * (G[1]![k] as number)); // strong conflict
    const r = createNashMTL(n).aggregate(input(n), { mode: 'param', G });
    const alpha = r.weights ?? new Float64Array(n);
    t.ok(alpha.every((a) => a > 0), `seed ${seed}: α > 0`);
    G.forEach((g, i) => {
      const e = Math.abs((alpha[i] as number) * dot(g, r.grad) - 1);
      worst = Math.max(worst, e);
      if (!(e < 1e-10)) t.fail(`seed ${seed} task ${i}: α_i g_i·d − 1 = ${e}`);
    });
    t.ok(nashResidual(gram(G), alpha) < 1e-10, `seed ${seed}: residual`);
    // Same optimum as FairGrad with α = 1 (a different Newton solver).
    if (!(relErr(alpha, Array.from(fairGradWeights(gram(G), 1).w), null, 'float64') < 1e-9)) t.fail(`seed ${seed}: differs from FairGrad(α=1)`);
    t.same(Array.from(r.headScale ?? []), Array.from(alpha), `seed ${seed}: heads scaled by α`);
    t.ok(Number.isInteger(r.diagnostics?.iterations) && (r.diagnostics?.iterations as number) <= 50, `seed ${seed}: ${String(r.diagnostics?.iterations)} Newton steps`);
  }
  t.comment(`Nash-MTL worst |α_i g_i·d − 1| over 40 problems: ${worst.toExponential(2)}`);
});

t.test('Nash-MTL properties: closed forms, scale law, permutation, reuse, state, clipping', async (t) => {
  // Orthogonal gradients: α_i = 1/‖g_i‖, d = Σ g_i/‖g_i‖.
  const orth = [Float64Array.of(2, 0, 0), Float64Array.of(0, 0.5, 0), Float64Array.of(0, 0, 4)];
  const ro = createNashMTL(3).aggregate(input(), { mode: 'param', G: orth });
  t.ok(relErr(ro.weights ?? [], [0.5, 2, 0.25], null, 'float64') < 1e-14, 'orthogonal: α = 1/‖g‖');
  // Two tasks, equal norm 1, cos θ = c: α = 1/sqrt(1 + c) each.
  const c = -0.6;
  const two = [Float64Array.of(1, 0), Float64Array.of(c, Math.sqrt(1 - c * c))];
  const rt = createNashMTL(2).aggregate(input(2), { mode: 'param', G: two });
  t.ok(relErr(rt.weights ?? [], [1 / Math.sqrt(1 + c), 1 / Math.sqrt(1 + c)], null, 'float64') < 1e-14, 'two unit vectors: 1/sqrt(1 + cos)');
  // Scale law and permutation equivariance.
  const G = gaussian(3);
  const a = createNashMTL(3).aggregate(input(), { mode: 'param', G });
  const big = createNashMTL(3).aggregate(input(), { mode: 'param', G: G.map((g) => g.map((v) => v * 1e5)) });
  t.ok(relErr((big.weights ?? new Float64Array(3)).map((v) => v * 1e5), Array.from(a.weights ?? []), null, 'float64') < 1e-12, 'α(kG) = α(G)/k');
  t.ok(relErr(big.grad, Array.from(a.grad), null, 'float64') < 1e-12, 'x1e5: the same update d = Σ α_i g_i');
  const perm = [1, 2, 0];
  const ap = createNashMTL(3).aggregate(input(), { mode: 'param', G: perm.map((i) => G[i]!) });
  t.ok(relErr(ap.weights ?? [], perm.map((i) => (a.weights ?? [])[i] as number), null, 'float64') < 1e-12, 'permutation equivariant');

  // updateWeightsEvery = 3: steps 0 and 3 solve, the others reuse the previous α.
  const m = createNashMTL(3, { updateWeightsEvery: 3 });
  const seq = [0, 1, 2, 3, 4].map((k) => gaussian(10 + k));
  const out = seq.map((Gk) => m.aggregate(input(), { mode: 'param', G: Gk }));
  t.same(out.map((o) => o.diagnostics?.updated), [true, false, false, true, false]);
  t.same(Array.from(out[1]!.weights ?? []), Array.from(out[0]!.weights ?? []), 'step 1 reuses α');
  t.ok(nashResidual(gram(seq[3]!), out[3]!.weights ?? []) < 1e-10, 'step 3 solves afresh');
  t.same(m.referenceState(), { step: 5, prvs_alpha: Array.from(out[4]!.weights ?? []) });
  // JSON round trip continues identically.
  const m2 = createNashMTL(3, { updateWeightsEvery: 3 });
  m2.setState(JSON.parse(JSON.stringify(m.getState())) as JsonObject);
  for (let k = 5; k < 8; k++) {
    const Gk = gaussian(20 + k);
    t.same(Array.from(m2.aggregate(input(), { mode: 'param', G: Gk }).grad), Array.from(m.aggregate(input(), { mode: 'param', G: Gk }).grad), `step ${k} after restore`);
  }
  t.throws(() => m.setState({ step: -1, prevAlpha: [1, 1, 1] }), { name: 'ConfigError' });

  // maxNorm is exposed for the trainer; clipGradNorm follows torch's clip_grad_norm_.
  const mn = createNashMTL(3, { maxNorm: 0.5 });
  t.equal(mn.maxNorm, 0.5);
  t.equal(mn.aggregate(input(), { mode: 'param', G }).diagnostics?.maxNorm, 0.5);
  const g = Float64Array.of(3, 4);
  const cl = clipGradNorm(g, 1);
  t.ok(cl.clipped && Math.abs(Math.hypot(...cl.grad) - 5 / (5 + 1e-6)) < 1e-15 && cl.norm === 5, 'clipped to max_norm/(norm + 1e-6)');
  t.same(Array.from(clipGradNorm(g, 10).grad), [3, 4], 'below max norm: unchanged');
  t.same(Array.from(clipGradNorm(g, 0).grad), [3, 4], 'max norm 0: off');
  t.equal(createNashMTL(3).label, 'Nash-MTL(every=1, maxNorm=1)');
  t.equal(createNashMTL(3, { optimNiter: 5 }).label, 'Nash-MTL(every=1, niter=5, maxNorm=1)');
});

t.test('Nash-MTL guards: zero gradient, near-collinear, scales, no solution', async (t) => {
  const G = gaussian(40);
  const rz = createNashMTL(3).aggregate(input(), { mode: 'param', G: [G[0]!, new Float64Array(20), G[2]!] });
  const w = rz.weights ?? new Float64Array(3);
  t.ok(w.every((v) => Number.isFinite(v) && v > 0), 'zero gradient: finite positive α');
  t.ok(Math.abs((w[0] as number) * dot(G[0]!, rz.grad) - 1) < 1e-10 && Math.abs((w[2] as number) * dot(G[2]!, rz.grad) - 1) < 1e-10, 'others satisfy the conditions');
  t.ok(Math.abs((w[1] as number) - ((w[0] as number) + (w[2] as number)) / 2) < 1e-14, 'degenerate task gets the mean α');
  t.same(rz.diagnostics?.degenerate, [1]);
  const g = gaussian(41)[0]!;
  const cases: [string, Float64Array[]][] = [
    ['near collinear 1e-3', [g, g.map((x, k) => x * (1 + 1e-3 * Math.sin(k))), g.map((x, k) => x * (1 + 1e-3 * Math.cos(k)))]],
    ['near collinear 1e-6', [g, g.map((x, k) => x * (1 + 1e-6 * Math.sin(k))), g.map((x, k) => x * (1 + 1e-6 * Math.cos(k)))]],
    ['scales 1e-4/1/1e3', gaussian(42, [1e-4, 1, 1e3])],
    ['x1e5', gaussian(43, [1e5, 1e5, 1e5])],
  ];
  for (const [name, Gc] of cases) {
    const r = createNashMTL(3).aggregate(input(), { mode: 'param', G: Gc });
    const res = nashResidual(gram(Gc), r.weights ?? []);
    t.ok(r.grad.every(Number.isFinite) && res < 1e-8, `${name}: finite, residual ${res.toExponential(1)}, ${String(r.diagnostics?.iterations)} steps`);
  }
  // Nearly cancelling gradients (g_2 ≈ −g_1): solved to float64's accuracy and flagged; exact
  // cancellation has no solution and is an error.
  const opp = [g, g.map((x, k) => -x * (1 + 1e-3 * Math.sin(k))), gaussian(44)[0]!];
  const ro = createNashMTL(3).aggregate(input(), { mode: 'param', G: opp });
  t.ok(nashResidual(gram(opp), ro.weights ?? []) < 1e-6, `near-opposed 1e-3: residual ${String(ro.diagnostics?.residual)}, status ${String(ro.diagnostics?.status)}`);
  t.throws(() => createNashMTL(3).aggregate(input(), { mode: 'param', G: [g, g.map((x) => -x), gaussian(44)[0]!] }), { name: 'NumericalError' });
  const all0 = createNashMTL(3).aggregate(input(), { mode: 'param', G: [new Float64Array(4), new Float64Array(4), new Float64Array(4)] });
  t.same(Array.from(all0.weights ?? []), [1, 1, 1], 'all zero: previous α (ones at the start)');
  t.throws(() => createNashMTL(2).aggregate(input(2), { mode: 'param', G: [Float64Array.of(1, 2), Float64Array.of(-2, -4)] }), { name: 'NumericalError' }, 'opposed gradients: no solution, reported');
  t.throws(() => createNashMTL(3).aggregate(input(), { mode: 'param', G: [Float64Array.of(NaN), Float64Array.of(1), Float64Array.of(2)] }), { name: 'NumericalError' });
  t.throws(() => createNashMTL(3).aggregate(input(), { mode: 'rep', G }), { name: 'UnsupportedError' });
  t.throws(() => createNashMTL(3, { updateWeightsEvery: 0 }), { name: 'ConfigError' });
});
