import t from 'tap';
import { dot, gram } from '../../optimizers/linalg.js';
import { createUPGrad, upgradWeights } from '../../optimizers/upgrad.js';
import type { StepInput } from '../../optimizers/types.js';
import { Rng } from '../../src/rng.js';
import { aggregationErrors, relErr, replayOracle, toF64, toRows } from '../helpers/oracle.js';

const rng = Rng.fromSeed(1);
const input = (losses: Float64Array, epoch = 0): StepInput => ({ epoch, losses, lossHistory: [], rng });

t.test('UPGrad replays every case of UPGrad.json', async (t) => {
  replayOracle(t, 'UPGrad', {
    fields: ['grad', 'returned'],
    create: (c, file) => createUPGrad(file.n, { normEps: c.hyperparameters.UPGrad_norm_eps as number, regEps: c.hyperparameters.UPGrad_reg_eps as number }),
    step: (m, s, c) => {
      const G = toRows(s.inputs.G);
      return aggregationErrors(m.aggregate(input(toF64(s.inputs.losses), s.epoch), { mode: 'param', G }), s, c.dtype, G);
    },
  });
});

function gaussian(seed: number, scales = [1, 1, 1], m = 20): Float64Array[] {
  const r = Rng.fromSeed(seed);
  return scales.map((s) => Float64Array.from({ length: m }, () => s * r.normal()));
}

t.test('UPGrad properties: non-conflict, hand case, permutation and scale invariance, guards', async (t) => {
  // Non-conflicting gradients: the mean, weights 1/n.
  const pos = [Float64Array.of(1, 2, 0), Float64Array.of(2, 1, 1), Float64Array.of(0, 1, 3)];
  t.same(Array.from(upgradWeights(gram(pos), 1e-4, 1e-4).weights).map((v) => +v.toFixed(15)), [1 / 3, 1 / 3, 1 / 3].map((v) => +v.toFixed(15)));
  // Hand case, no regularisation: g1 = (1, 0), g2 = (-1, 1), Ĝ = M/3 with M = [[1, -1], [-1, 2]].
  // QP 1: v ≥ (1/2, 0): v2 = max(0, v1/2) → v = (1/2, 1/4); QP 2: v ≥ (0, 1/2): v1 = max(0, v2) = 1/2 → (1/2, 1/2).
  const hand = upgradWeights(gram([Float64Array.of(1, 0), Float64Array.of(-1, 1)]), 0, 0).weights;
  t.ok(relErr(hand, [1, 0.75], null, 'float64') < 1e-15, `hand weights ${Array.from(hand)}`);
  for (let seed = 0; seed < 20; seed++) {
    const G = gaussian(seed);
    const r = createUPGrad(3).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G });
    // Non-conflicting update (up to the ridge): g_i · d ≥ −tiny for every task.
    const ok = G.every((g) => dot(g, r.grad) >= -1e-3 * Math.hypot(...g) * Math.hypot(...r.grad));
    if (!ok) t.fail(`seed ${seed}: update conflicts with a task`);
    // Permutation equivariance.
    const perm = [2, 0, 1];
    const rp = createUPGrad(3).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G: perm.map((i) => G[i]!) });
    if (!(relErr(rp.grad, Array.from(r.grad), null, 'float64') < 1e-12)) t.fail(`seed ${seed}: permutation changes the update`);
    // Scale: the weights depend on G only through M / tr(M).
    const rs = createUPGrad(3).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G: G.map((g) => g.map((v) => v * 1e5)) });
    if (!(relErr(rs.weights ?? [], Array.from(r.weights ?? []), null, 'float64') < 1e-9)) t.fail(`seed ${seed}: x1e5 changes the weights`);
  }
  t.pass('non-conflict, permutation, x1e5 on 20 random problems');
  const g = gaussian(50)[0]!;
  const cases: [string, Float64Array[]][] = [
    ['zero task gradient', [gaussian(51)[0]!, new Float64Array(20), gaussian(52)[2]!]],
    ['near collinear', [g, g.map((x, k) => x * (1 + 1e-6 * Math.sin(k))), g.map((x, k) => -x * (1 + 1e-6 * Math.cos(k)))]],
    ['scales 1e-4/1/1e3', gaussian(53, [1e-4, 1, 1e3])],
    ['all zero', [new Float64Array(20), new Float64Array(20), new Float64Array(20)]],
  ];
  for (const [name, G] of cases) {
    const r = createUPGrad(3).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G });
    t.ok(r.grad.every(Number.isFinite) && (r.weights ?? []).every((v) => v >= 0), `${name}: finite, nonnegative weights`);
  }
  // Below normEps the Gramian is treated as zero: the mean gradient.
  const tiny = gaussian(54, [1e-4, 1e-4, 1e-4]);
  const rt = createUPGrad(3).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G: tiny });
  t.ok(relErr(rt.weights ?? [], [1 / 3, 1 / 3, 1 / 3], null, 'float64') < 1e-15, 'tr(M) < normEps: mean');
  t.throws(() => createUPGrad(3).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'param', G: [Float64Array.of(Infinity), Float64Array.of(1), Float64Array.of(1)] }), { name: 'NumericalError' });
  t.throws(() => createUPGrad(3).aggregate(input(Float64Array.of(1, 1, 1)), { mode: 'rep', G: tiny }), { name: 'UnsupportedError' });
  t.equal(createUPGrad(3).label, 'UPGrad');
  t.equal(createUPGrad(3, { regEps: 1e-3 }).label, 'UPGrad(regEps=0.001)');
});
