import t from 'tap';
import { combine } from '../../optimizers/common.js';
import { dot } from '../../optimizers/linalg.js';
import { createPCGrad, pcgradCoefficients } from '../../optimizers/pcgrad.js';
import type { TaskGradients } from '../../optimizers/types.js';
import { Rng } from '../../src/rng.js';
import { aggregationErrors, oracleInput, relErr, replayOracle, toRows } from '../helpers/oracle.js';

t.test('PCGrad replays every case of PCGrad.json with the recorded shuffle orders', async (t) => {
  replayOracle(t, 'PCGrad', {
    fields: ['grad', 'returned'],
    create: (_c, file) => ({ m: createPCGrad(file.n, {}), rng: Rng.fromSeed(1) }),
    step: ({ m, rng }, s, c, where) => {
      const G = toRows(s.inputs.G);
      const shuffleOrders = (s.inputs.random_draws as { shuffle_orders: number[][] }).shuffle_orders;
      const r = m.aggregate(oracleInput(s, rng, { shuffleOrders }), { mode: 'param', G });
      t.equal(r.headScale, null, `${where}: heads keep their plain gradients`);
      return aggregationErrors(r, s, c.dtype, G);
    },
  });
});

function gaussian(seed: number, scales = [1, 1, 1], m = 20): Float64Array[] {
  const rng = Rng.fromSeed(seed);
  return scales.map((s) => Float64Array.from({ length: m }, () => s * rng.normal()));
}
const losses = Float64Array.of(1, 1, 1);
const identityOrders = [[0, 1, 2], [0, 1, 2], [0, 1, 2]];

t.test('PCGrad properties: hand case, no conflict, projection removes conflict, guards', async (t) => {
  // Hand case: g1 = (1, 0), g2 = (-1, 1). g1·g2 = -1, ‖g‖² = 1 and 2.
  // pc1 = g1 + g2/2 = (0.5, 0.5); pc2 = g2 + g1 = (0, 1) → sum (0.5, 1.5), w = (2, 1.5) (up to 1e-8 terms).
  const hand = [Float64Array.of(1, 0), Float64Array.of(-1, 1)];
  const w = pcgradCoefficients(hand, [[0, 1], [1, 0]]);
  t.ok(Math.abs((w[0] as number) - 2) < 1e-7 && Math.abs((w[1] as number) - 1.5) < 1e-7, `hand weights ${Array.from(w)}`);
  const r = createPCGrad(2).aggregate({ epoch: 0, losses: Float64Array.of(1, 1), lossHistory: [], rng: Rng.fromSeed(1), draws: { shuffleOrders: [[0, 1], [1, 0]] } }, { mode: 'param', G: hand });
  t.ok(Math.abs((r.grad[0] as number) - 0.5) < 1e-7 && Math.abs((r.grad[1] as number) - 1.5) < 1e-7, 'hand update (0.5, 1.5)');

  // Non-conflicting gradients are summed unchanged.
  const pos = [Float64Array.of(1, 2, 0), Float64Array.of(2, 1, 1), Float64Array.of(0, 1, 3)];
  t.same(Array.from(pcgradCoefficients(pos, identityOrders)), [1, 1, 1], 'no conflict: weights 1');

  // Each projected gradient no longer conflicts with the last task it was projected on
  // (checked on two tasks, where a single projection is done per pair).
  for (let seed = 0; seed < 20; seed++) {
    const G = gaussian(seed, [1, 1], 10);
    const g0 = G[0] as Float64Array;
    const g1 = G[1] as Float64Array;
    const wts = pcgradCoefficients(G, [[1, 0], [0, 1]]);
    if (dot(g0, g1) < 0) {
      const pc0 = combine([1, (wts[1] as number) - 1], G);
      t.ok(Math.abs(dot(pc0, g1)) < 1e-9 * dot(g1, g1) + 1e-7, `seed ${seed}: projected g0 ⟂ g1`);
    }
  }

  // Random orders from the run's generator are deterministic given the seed.
  const G = gaussian(3);
  const a = createPCGrad(3).aggregate({ epoch: 0, losses, lossHistory: [], rng: Rng.fromSeed(9) }, { mode: 'param', G });
  const b = createPCGrad(3).aggregate({ epoch: 0, losses, lossHistory: [], rng: Rng.fromSeed(9) }, { mode: 'param', G });
  t.same(Array.from(a.grad), Array.from(b.grad), 'same seed, same update');

  // Guards: zero gradient, near-collinear, scales, x1e5.
  const rng = Rng.fromSeed(2);
  const g = gaussian(4)[0] as Float64Array;
  const cases: [string, Float64Array[]][] = [
    ['zero task gradient', [gaussian(5)[0] as Float64Array, new Float64Array(20), gaussian(6)[2] as Float64Array]],
    ['near collinear', [g, g.map((x) => x * (1 + 1e-6)), g.map((x) => -x * (1 - 1e-6))]],
    ['scales 1e-4/1/1e3', gaussian(7, [1e-4, 1, 1e3])],
    ['x1e5', gaussian(8, [1e5, 1e5, 1e5])],
  ];
  for (const [name, Gc] of cases) {
    const out = createPCGrad(3).aggregate({ epoch: 0, losses, lossHistory: [], rng }, { mode: 'param', G: Gc });
    t.ok(out.grad.every(Number.isFinite), `${name}: finite`);
  }
  const base = createPCGrad(3).aggregate({ epoch: 0, losses, lossHistory: [], rng, draws: { shuffleOrders: identityOrders } }, { mode: 'param', G: gaussian(8) });
  const big = createPCGrad(3).aggregate({ epoch: 0, losses, lossHistory: [], rng, draws: { shuffleOrders: identityOrders } }, { mode: 'param', G: gaussian(8, [1e5, 1e5, 1e5]) });
  t.ok(relErr(big.grad.map((x) => x / 1e5), Array.from(base.grad), null, 'float64') < 1e-9, 'x1e5 scales the update');

  const m = createPCGrad(3);
  t.throws(() => m.aggregate({ epoch: 0, losses, lossHistory: [], rng }, { mode: 'rep', G: gaussian(1) } as TaskGradients), { name: 'UnsupportedError' });
  t.throws(() => m.aggregate({ epoch: 0, losses, lossHistory: [], rng, draws: { shuffleOrders: [[0, 0, 1], [0, 1, 2], [0, 1, 2]] } }, { mode: 'param', G: gaussian(1) }), { name: 'ShapeError' });
  t.equal(m.label, 'PCGrad');
});
