import t from 'tap';
import { createSTCH } from '../../optimizers/stch.js';
import type { JsonObject, LossWeightingMethod, StepInput } from '../../optimizers/types.js';
import { Rng } from '../../src/rng.js';
import { oracleInput, relErr, replayOracle, toF64, weighingErrors } from '../helpers/oracle.js';

const rng = Rng.fromSeed(0);
const FIELDS = ['grad', 'returned', 'objective', 'state'] as const;

t.test('STCH replays every LibMTL case of STCH.json, state included', async (t) => {
  replayOracle(t, 'STCH', {
    fields: FIELDS,
    create: (c, file) =>
      createSTCH(file.n, {
        mu: c.hyperparameters.STCH_mu as number,
        warmupEpoch: c.hyperparameters.STCH_warmup_epoch as number,
      }),
    step: (m, s, c, where) => {
      const r = m.weigh(oracleInput(s, rng));
      const want = s.outputs.state as Record<string, unknown>;
      const got = m.referenceState?.() ?? {};
      t.same(Object.keys(got).sort(), Object.keys(want).sort(), `${where}: state keys`);
      let stateErr = 0;
      for (const key of Object.keys(want)) {
        const w = want[key];
        const g = got[key];
        if (w === null || g === null || typeof w !== typeof g) {
          if (w !== g) t.fail(`${where} state.${key}: got ${JSON.stringify(g)}, want ${JSON.stringify(w)}`);
          continue;
        }
        stateErr = Math.max(stateErr, relErr(toF64(g), w, s.inputs.G, c.dtype));
      }
      return { ...weighingErrors(r, s, c.dtype), state: stateErr };
    },
  });
});

const schedule = [0, 1, 1, 2, 2, 3, 3, 4];
function inputAt(k: number, scale = 1): StepInput {
  return {
    epoch: schedule[k] as number,
    losses: Float64Array.of(1 + 0.3 * Math.sin(k), 0.5 + 0.1 * k, 2 / (k + 1)).map((x) => x * scale),
    lossHistory: [],
    rng,
  };
}

t.test('STCH state round-trips through JSON and continues bit for bit', async (t) => {
  const a = createSTCH(3, { warmupEpoch: 1 });
  for (let k = 0; k < 4; k++) a.weigh(inputAt(k));
  const b = createSTCH(3, { warmupEpoch: 1 });
  b.setState(JSON.parse(JSON.stringify(a.getState())) as JsonObject);
  for (let k = 4; k < schedule.length; k++) t.same(b.weigh(inputAt(k)), a.weigh(inputAt(k)), `step ${k}`);
  t.same(b.getState(), a.getState());
  t.equal(a.label, 'STCH(mu=1, warmup=1)');
});

t.test('STCH after warm-up is invariant to a common loss scale', async (t) => {
  const run = (scale: number): LossWeightingMethod => {
    const m = createSTCH(3, { warmupEpoch: 1, mu: 0.5 });
    for (let k = 0; k < 4; k++) m.weigh(inputAt(k, scale));
    return m;
  };
  const ref = run(1);
  for (const scale of [1e-4, 1e5]) {
    const m = run(scale);
    for (let k = 4; k < schedule.length; k++) {
      const r0 = ref.weigh(inputAt(k, 1));
      const r = m.weigh(inputAt(k, scale));
      t.ok(Math.abs(r.objective - r0.objective) < 1e-9, `objective, scale ${scale}, step ${k}`);
      for (let i = 0; i < 3; i++) {
        t.ok(Math.abs((r.coefficients[i] as number) * scale - (r0.coefficients[i] as number)) < 1e-9 * Math.abs(r0.coefficients[i] as number), `c_${i}, scale ${scale}`);
      }
    }
  }
});

t.test('STCH guards: no warm-up step, zero nadir entry, negative loss', async (t) => {
  // Warm-up epoch 1 never seen: the nadir comes from lossHistory[1], else from the batch.
  const m = createSTCH(2, { warmupEpoch: 1 });
  const r = m.weigh({ epoch: 3, losses: Float64Array.of(1, 2), lossHistory: [Float64Array.of(9, 9), Float64Array.of(2, 4)], rng });
  t.same(m.referenceState?.().nadir_vector, [2, 4]);
  t.ok(r.coefficients.every(Number.isFinite));
  const m2 = createSTCH(2, { warmupEpoch: 0 });
  m2.weigh({ epoch: 2, losses: Float64Array.of(1, 2), lossHistory: [], rng });
  t.same(m2.referenceState?.().nadir_vector, [1, 2]);
  // A task whose loss was 0 throughout the warm-up: finite, and that task takes the weight.
  const z = createSTCH(2, { warmupEpoch: 0 });
  z.weigh({ epoch: 0, losses: Float64Array.of(0, 1), lossHistory: [], rng });
  const rz = z.weigh({ epoch: 1, losses: Float64Array.of(0.5, 1), lossHistory: [], rng });
  t.ok(Number.isFinite(rz.objective) && rz.coefficients.every(Number.isFinite), 'finite');
  t.ok(Math.abs((rz.coefficients[0] as number) - 2 / 0.5) < 1e-9, 'c_0 = n / L_0 (all the weight)');
  // A zero loss before the warm-up: LibMTL's finite 1/(0 + 1e-20).
  const w = createSTCH(2).weigh({ epoch: 0, losses: Float64Array.of(0, 1), lossHistory: [], rng });
  t.equal(w.coefficients[0], 1e20);
  t.throws(() => createSTCH(2).weigh({ epoch: 0, losses: Float64Array.of(-1, 1), lossHistory: [], rng }), { name: 'NumericalError' });
  t.throws(() => createSTCH(2, { warmupEpoch: 1.5 }), { name: 'ConfigError' });
});
