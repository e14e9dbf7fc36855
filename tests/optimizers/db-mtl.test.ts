import t from 'tap';
import { createDBMTL } from '../../optimizers/db-mtl.js';
import type { JsonObject, StepInput } from '../../optimizers/types.js';
import { Rng } from '../../src/rng.js';
import { relErr, replayOracle, toF64, toRows } from '../helpers/oracle.js';

const rng = Rng.fromSeed(1);
const input = (losses: Float64Array, epoch = 0): StepInput => ({ epoch, losses, lossHistory: [], rng });

t.test('DB-MTL replays every case of DB_MTL.json in order (grad, returned, grad_buffer, step)', async (t) => {
  replayOracle(t, 'DB_MTL', {
    label: 'DB-MTL',
    fields: ['grad', 'returned', 'grad_buffer'],
    create: (c, file) => createDBMTL(file.n, { beta: c.hyperparameters.DB_beta as number, betaSigma: c.hyperparameters.DB_beta_sigma as number }),
    step: (m, s, c, where) => {
      const losses = toF64(s.inputs.losses);
      const r = m.aggregate(input(losses, s.epoch), { mode: 'param', G: toRows(s.inputs.G) });
      const want = s.outputs.state as Record<string, unknown>;
      const got = m.referenceState();
      t.same(Object.keys(got).sort(), Object.keys(want).sort(), `${where}: state keys`);
      t.equal(got.step, want.step, `${where}: step`);
      t.equal(r.coefficients, null, `${where}: not a combination of the current gradients`);
      return {
        grad: relErr(r.grad, s.outputs.grad, s.inputs.G, c.dtype),
        returned: relErr(r.weights ?? [], s.outputs.returned, null, c.dtype),
        grad_buffer: relErr(toF64(got.grad_buffer), want.grad_buffer, s.inputs.G, c.dtype),
        headScale: relErr(r.headScale ?? [], Array.from(losses, (l) => 1 / (l + 1e-8)), null, 'float64'),
      };
    },
  });
});

function gaussian(seed: number, scales = [1, 1, 1], m = 12): Float64Array[] {
  const r = Rng.fromSeed(seed);
  return scales.map((s) => Float64Array.from({ length: m }, () => s * r.normal()));
}

t.test('DB-MTL properties: first step balances norms, state round-trips bit for bit, guards', async (t) => {
  // Step 1 with beta = 0.9, sigma = 0: b = 0.1 ĝ; every α_i b_i has the norm of the largest b.
  const losses = Float64Array.of(2, 0.5, 1);
  const G = gaussian(1, [1, 3, 0.2]);
  const m = createDBMTL(3);
  const r = m.aggregate(input(losses), { mode: 'param', G });
  const b = toRows(m.referenceState().grad_buffer);
  const norms = b.map((row) => Math.hypot(...row));
  const alpha = (r.diagnostics?.bufferScale ?? []) as number[];
  const scaled = norms.map((nv, i) => nv * alpha[i]!);
  t.ok(Math.max(...scaled) - Math.min(...scaled) < 1e-6 * Math.max(...scaled), 'balanced norms');
  t.ok(relErr(b[0]!, Array.from(G[0]!, (v) => 0.1 * v / (2 + 1e-8)), null, 'float64') < 1e-15, 'buffer = (1 − β) g/(L + 1e-8)');

  // JSON round trip continues bit for bit.
  const a1 = createDBMTL(3, { beta: 0.8, betaSigma: 0.5 });
  for (let k = 0; k < 3; k++) a1.aggregate(input(losses), { mode: 'param', G: gaussian(k) });
  const a2 = createDBMTL(3, { beta: 0.8, betaSigma: 0.5 });
  a2.setState(JSON.parse(JSON.stringify(a1.getState())) as JsonObject);
  for (let k = 3; k < 6; k++) {
    const r1 = a1.aggregate(input(losses), { mode: 'param', G: gaussian(k) });
    const r2 = a2.aggregate(input(losses), { mode: 'param', G: gaussian(k) });
    t.same(Array.from(r2.grad), Array.from(r1.grad), `step ${k} identical after restore`);
  }
  t.same(a2.getState(), a1.getState());

  // Guards: zero gradient, scales, x1e5, near-collinear: finite output.
  const g = gaussian(9)[0]!;
  const cases: [string, Float64Array[]][] = [
    ['zero task gradient', [gaussian(3)[0]!, new Float64Array(12), gaussian(4)[2]!]],
    ['near collinear', [g, g.map((x) => x * (1 + 1e-6)), g.map((x) => x * (1 - 1e-6))]],
    ['scales 1e-4/1/1e3', gaussian(5, [1e-4, 1, 1e3])],
    ['x1e5', gaussian(6, [1e5, 1e5, 1e5])],
  ];
  for (const [name, Gc] of cases) {
    const mm = createDBMTL(3);
    for (let k = 0; k < 3; k++) {
      const out = mm.aggregate(input(losses), { mode: 'param', G: Gc });
      if (!out.grad.every(Number.isFinite)) t.fail(`${name}: non-finite`);
    }
    t.pass(`${name}: finite`);
  }
  t.throws(() => m.aggregate(input(losses), { mode: 'param', G: gaussian(1, [1, 1, 1], 5) }), { name: 'ShapeError' });
  t.throws(() => m.aggregate(input(losses), { mode: 'rep', G }), { name: 'UnsupportedError' });
  t.throws(() => m.setState({ step: 1, gradBuffer: [[1], [2]] }), { name: 'ConfigError' });
  t.equal(m.label, 'DB-MTL(beta=0.9, sigma=0)');
});
