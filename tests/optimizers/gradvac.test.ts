import t from 'tap';
import { combine } from '../../optimizers/common.js';
import { createGradVac, GRADVAC_GROUP_TYPES } from '../../optimizers/gradvac.js';
import type { JsonObject, TaskGradients } from '../../optimizers/types.js';
import { Rng } from '../../src/rng.js';
import { aggregationErrors, oracleInput, relErr, replayOracle, toF64, toRows } from '../helpers/oracle.js';

const FIELDS = ['grad', 'returned', 'rho_T'] as const;

t.test('GradVac replays every LibMTL case of GradVac.json with the recorded task orders', async (t) => {
  replayOracle(t, 'GradVac', {
    fields: FIELDS,
    create: (c, file) => {
      const pg = file.param_groups ?? {};
      const groups = { layer: pg['1_all_layer'] ?? [], tensor: pg['2_all_matrix'] ?? [] };
      const groupType = GRADVAC_GROUP_TYPES[c.hyperparameters.GradVac_group_type as number];
      if (!groupType) throw new Error(`unknown group type in ${c.id}`);
      return { m: createGradVac(file.n, { beta: c.hyperparameters.GradVac_beta as number, groupType }), groupType, groups, rng: Rng.fromSeed(1) };
    },
    step: ({ m, groupType, groups, rng }, s, c, where) => {
      const G = toRows(s.inputs.G);
      const grads: TaskGradients = { mode: 'param', G, groups };
      const shuffleOrders = (s.inputs.random_draws as { shuffle_orders: number[][] }).shuffle_orders;
      const r = m.aggregate(oracleInput(s, rng, { shuffleOrders }), grads);
      const want = s.outputs.state as Record<string, unknown>;
      const got = m.referenceState?.() ?? {};
      t.same(Object.keys(got).sort(), Object.keys(want).sort(), `${where}: state keys`);
      t.same(got.k_idx, want.k_idx, `${where}: k_idx`);
      t.equal(got.step, want.step, `${where}: step`);
      if (!r.coefficients && groupType === 'whole') t.fail(`${where}: whole-vector GradVac should report coefficients`);
      return {
        ...aggregationErrors(r, s, c.dtype),
        rho_T: relErr(toF64(got.rho_T), want.rho_T, null, c.dtype),
        // Σ α_j g_j against the recorded update, where α is reported (whole-vector groups).
        ...(r.coefficients ? { coefficients: relErr(combine(r.coefficients, G), s.outputs.grad, s.inputs.G, c.dtype) } : {}),
      };
    },
  });
});

function problem(seed: number, scales = [1, 1, 1]): TaskGradients {
  const rng = Rng.fromSeed(seed);
  const G = scales.map((s) => Float64Array.from({ length: 20 }, () => s * rng.normal()));
  return {
    mode: 'param',
    G,
    groups: { layer: [[0, 8], [8, 20]], tensor: [[0, 6], [6, 8], [8, 16], [16, 20]] },
  };
}
const losses = Float64Array.of(1, 1, 1);

t.test('GradVac state round-trips through JSON and continues bit for bit (own RNG)', async (t) => {
  for (const groupType of GRADVAC_GROUP_TYPES) {
    const a = createGradVac(3, { groupType, beta: 0.3 });
    const rngA = Rng.fromSeed(7);
    for (let k = 0; k < 3; k++) a.aggregate({ epoch: 0, losses, lossHistory: [], rng: rngA }, problem(k));
    const b = createGradVac(3, { groupType, beta: 0.3 });
    b.setState(JSON.parse(JSON.stringify(a.getState())) as JsonObject);
    const rngB = Rng.fromState(rngA.state());
    for (let k = 3; k < 6; k++) {
      const ra = a.aggregate({ epoch: 0, losses, lossHistory: [], rng: rngA }, problem(k));
      const rb = b.aggregate({ epoch: 0, losses, lossHistory: [], rng: rngB }, problem(k));
      t.same(Array.from(rb.grad), Array.from(ra.grad), `${groupType}: step ${k}`);
    }
    t.same(b.getState(), a.getState());
  }
});

t.test('GradVac guards: zero gradient, collinear gradients, scales; rep mode unsupported', async (t) => {
  const rng = Rng.fromSeed(11);
  const cases: [string, (k: number) => TaskGradients][] = [
    ['zero task gradient', (k) => {
      const p = problem(k);
      return { ...p, G: [p.G[0] as Float64Array, new Float64Array(20), p.G[2] as Float64Array] };
    }],
    ['collinear (1e-6)', (k) => {
      const p = problem(k);
      const g = p.G[0] as Float64Array;
      const r = Rng.fromSeed(100 + k);
      return { ...p, G: [g, g.map((x) => x * (1 + 1e-6 * r.normal())), g.map((x) => -x * (1 + 1e-6 * r.normal()))] };
    }],
    ['scales 1e-4/1/1e3', (k) => problem(k, [1e-4, 1, 1e3])],
    ['everything x1e5', (k) => problem(k, [1e5, 1e5, 1e5])],
  ];
  for (const [name, make] of cases) {
    for (const groupType of GRADVAC_GROUP_TYPES) {
      const m = createGradVac(3, { groupType });
      for (let k = 0; k < 10; k++) {
        const r = m.aggregate({ epoch: 0, losses, lossHistory: [], rng }, make(k));
        if (!r.grad.every(Number.isFinite)) t.fail(`${name} ${groupType} step ${k}: non-finite output`);
      }
      const rho = toF64(m.referenceState?.().rho_T);
      t.ok(rho.every((x) => Number.isFinite(x) && Math.abs(x) <= 1 + 1e-12), `${name} ${groupType}: finite targets in [-1, 1]`);
    }
  }
  // Scale equivariance of the whole update when every gradient is scaled alike (the 1e-8 aside).
  const base = createGradVac(3).aggregate({ epoch: 0, losses, lossHistory: [], rng, draws: { shuffleOrders: [[1, 2], [0, 2], [0, 1]] } }, problem(5));
  const big = createGradVac(3).aggregate({ epoch: 0, losses, lossHistory: [], rng, draws: { shuffleOrders: [[1, 2], [0, 2], [0, 1]] } }, problem(5, [1e5, 1e5, 1e5]));
  t.ok(relErr(big.grad.map((x) => x / 1e5), Array.from(base.grad), null, 'float64') < 1e-9, 'x1e5 scales the update');
  const m = createGradVac(3);
  t.throws(() => m.aggregate({ epoch: 0, losses, lossHistory: [], rng }, { mode: 'rep', G: problem(1).G }), { name: 'UnsupportedError', message: /GradVac/ });
  t.throws(() => m.aggregate({ epoch: 0, losses, lossHistory: [], rng, draws: { shuffleOrders: [[0, 1], [0, 2], [0, 1]] } }, problem(1)), { name: 'ConfigError' });
  t.throws(() => createGradVac(3, { groupType: 'layer' }).aggregate({ epoch: 0, losses, lossHistory: [], rng }, { mode: 'param', G: problem(1).G }), { name: 'ShapeError' });
  t.throws(() => createGradVac(3, { groupType: 'rows' as never }), { name: 'ConfigError' });
  t.equal(m.label, 'GradVac(beta=0.5, group=whole)');
});

t.test("GradVac accepts LibMTL's integer group types", async (t) => {
  t.equal(createGradVac(3, { groupType: 2 as never }).label, 'GradVac(beta=0.5, group=tensor)');
  t.throws(() => createGradVac(3, { groupType: 3 as never }), { name: 'ConfigError' });
});
