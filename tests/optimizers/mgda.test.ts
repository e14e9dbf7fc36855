import t from 'tap';
import { gram } from '../../optimizers/linalg.js';
import { createMGDA, mgdaMinNorm, type MGDANormalization } from '../../optimizers/mgda.js';
import { minNormKkt } from '../../optimizers/solvers/min-norm.js';
import type { StepInput } from '../../optimizers/types.js';
import { Rng } from '../../src/rng.js';
import { aggregationErrors, oracleGradients, relErr, replayOracle, toF64, toRows } from '../helpers/oracle.js';

const rng = Rng.fromSeed(1);
const input = (losses: Float64Array, epoch = 0): StepInput => ({ epoch, losses, lossHistory: [], rng });

t.test('MGDA replays every case of MGDA.json (param mode, all four normalisations)', async (t) => {
  replayOracle(t, 'MGDA', {
    fields: ['grad', 'returned'],
    create: (c, file) => createMGDA(file.n, { normalization: c.hyperparameters.mgda_gn as MGDANormalization }),
    step: (m, s, c, where) => {
      const G = toRows(s.inputs.G);
      const r = m.aggregate(input(toF64(s.inputs.losses), s.epoch), { mode: 'param', G });
      if (r.diagnostics?.solver !== 'frank-wolfe') t.fail(`${where}: expected LibMTL's Frank-Wolfe path, got ${String(r.diagnostics?.solver)}`);
      return aggregationErrors(r, s, c.dtype, G);
    },
  });
});

t.test('MGDA replays every case of MGDA_rep.json (rep mode: unnormalised per-sample gradients)', async (t) => {
  replayOracle(t, 'MGDA_rep', {
    fields: ['rep_grad_out', 'returned'],
    create: (c, file) => ({ m: createMGDA(file.n, { normalization: c.hyperparameters.mgda_gn as MGDANormalization }), file }),
    step: ({ m, file }, s, c) => {
      const r = m.aggregate(input(toF64(s.inputs.losses), s.epoch), oracleGradients(file, s));
      return {
        rep_grad_out: relErr(r.grad, s.outputs.rep_grad_out, s.inputs.rep_grads, c.dtype),
        returned: relErr(r.weights ?? [], s.outputs.returned, s.inputs.rep_grads, c.dtype),
      };
    },
  });
});

function gaussian(seed: number, scales = [1, 1, 1], m = 20): Float64Array[] {
  const r = Rng.fromSeed(seed);
  return scales.map((s) => Float64Array.from({ length: m }, () => s * r.normal()));
}
const ones3 = Float64Array.of(1, 1, 1);

t.test('MGDA properties: min-norm optimality, hand cases, normalisations', async (t) => {
  // Two orthogonal unit vectors: x = (1/2, 1/2).
  const r2 = createMGDA(2).aggregate(input(Float64Array.of(1, 1)), { mode: 'param', G: [Float64Array.of(1, 0), Float64Array.of(0, 1)] });
  t.same(Array.from(r2.weights ?? []), [0.5, 0.5]);
  t.same(Array.from(r2.grad), [0.5, 0.5]);
  // g2 = 2 g1: the shorter one wins (LibMTL's 0.999 clamp).
  const rc = createMGDA(2).aggregate(input(Float64Array.of(1, 1)), { mode: 'param', G: [Float64Array.of(1, 1), Float64Array.of(2, 2)] });
  t.same(Array.from(rc.weights ?? []), [0.999, 0.0010000000000000009]);
  // Random problems: the Frank-Wolfe point is near-optimal (gap ≤ stop tolerance scale).
  for (let seed = 0; seed < 10; seed++) {
    const G = gaussian(seed);
    const r = createMGDA(3).aggregate(input(ones3), { mode: 'param', G });
    const kkt = minNormKkt(gram(G), r.weights ?? []);
    t.ok(kkt.infeasibility < 1e-12 && kkt.gap < 1e-3, `seed ${seed}: feasible, gap ${kkt.gap.toExponential(2)}`);
  }
  // l2 normalisation is invariant to per-task scaling.
  const G = gaussian(3);
  const a = createMGDA(3, { normalization: 'l2' }).aggregate(input(ones3), { mode: 'param', G });
  const b = createMGDA(3, { normalization: 'l2' }).aggregate(input(ones3), { mode: 'param', G: G.map((g, i) => g.map((v) => v * 10 ** i)) });
  t.ok(relErr(b.grad, Array.from(a.grad), null, 'float64') < 1e-9, 'l2: invariant to per-task scales');
  t.equal(createMGDA(3, { normalization: 'loss+' }).label, 'MGDA(gn=loss+)');
  t.throws(() => createMGDA(3, { normalization: 'max' as never }), { name: 'ConfigError' });
});

t.test('MGDA guards: zero gradient (l2), huge scale, near-collinear, scales, non-finite', async (t) => {
  const g = gaussian(11)[0] as Float64Array;
  const zero: Float64Array[] = [gaussian(12)[0] as Float64Array, new Float64Array(20), gaussian(13)[2] as Float64Array];
  for (const gn of ['none', 'l2', 'loss', 'loss+'] as const) {
    const r = createMGDA(3, { normalization: gn }).aggregate(input(ones3), { mode: 'param', G: zero });
    t.ok(r.grad.every(Number.isFinite), `${gn}, zero gradient: finite (LibMTL gives NaN for l2/loss+)`);
    if (gn === 'l2' || gn === 'loss+') t.same(r.diagnostics?.guarded, [1], `${gn}: task 1 guarded`);
  }
  // Every pair cost ≥ 1e8: LibMTL raises UnboundLocalError; here the weights equal those at scale 1.
  for (let seed = 0; seed < 5; seed++) {
    const base = gaussian(20 + seed);
    const huge = base.map((r) => r.map((v) => v * 1e5));
    const a = createMGDA(3).aggregate(input(ones3), { mode: 'param', G: base });
    const b = createMGDA(3).aggregate(input(ones3), { mode: 'param', G: huge });
    t.equal(b.diagnostics?.solver, 'frank-wolfe-scaled', `seed ${seed}: x1e5 takes the scaled path`);
    t.ok(relErr(b.weights ?? [], Array.from(a.weights ?? []), null, 'float64') < 1e-9, `seed ${seed}: x1e5 gives the scale-1 weights`);
  }
  const cases: [string, Float64Array[]][] = [
    ['near collinear 1e-3', [g, g.map((x, k) => x * (1 + 1e-3 * Math.sin(k))), g.map((x, k) => x * (1 + 1e-3 * Math.cos(k)))]],
    ['near collinear 1e-6', [g, g.map((x, k) => x * (1 + 1e-6 * Math.sin(k))), g.map((x, k) => x * (1 + 1e-6 * Math.cos(k)))]],
    ['scales 1e-4/1/1e3', gaussian(14, [1e-4, 1, 1e3])],
  ];
  for (const [name, G] of cases) {
    for (const gn of ['none', 'l2', 'loss', 'loss+'] as const) {
      const r = createMGDA(3, { normalization: gn }).aggregate(input(Float64Array.of(0.5, 1, 2)), { mode: 'param', G });
      const x = r.weights ?? new Float64Array(3);
      t.ok(r.grad.every(Number.isFinite) && Math.abs(x.reduce((s, v) => s + v, 0) - 1) < 1e-12 && x.every((v) => v >= 0), `${name} ${gn}: finite, on the simplex`);
    }
  }
  t.throws(() => createMGDA(3).aggregate(input(ones3), { mode: 'param', G: [Float64Array.of(NaN, 1), Float64Array.of(1, 1), Float64Array.of(1, 0)] }), { name: 'NumericalError' });
  // The exact fallback agrees with a converged Frank-Wolfe run.
  const M = gram(gaussian(30, [1, 2, 0.5, 1.5], 8));
  const fw = mgdaMinNorm(M);
  t.ok(fw.solver === 'frank-wolfe' || fw.solver === 'wolfe');
  t.ok(minNormKkt(M, fw.x).gap < 1e-3, 'four tasks: near-optimal');
});
