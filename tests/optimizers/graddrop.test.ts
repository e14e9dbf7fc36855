import t from 'tap';
import { createGradDrop, gradDropKeepProbability } from '../../optimizers/graddrop.js';
import { Rng } from '../../src/rng.js';
import { loadOracle, oracleInput, relErr, repGradients, replayOracle, toF64, toRows } from '../helpers/oracle.js';

t.test('GradDrop replays every LibMTL case of GradDrop.json with the recorded uniform draws', async (t) => {
  // The statistical cases have no steps: see below.
  const replayed = replayOracle(t, 'GradDrop', {
    fields: ['rep_grad_out'],
    create: (c, file) => ({ m: createGradDrop(file.n, { leak: c.hyperparameters.leak as number }), rng: Rng.fromSeed(1), B: (file.rep_shape ?? [0, 0])[0] }),
    step: ({ m, rng, B }, s, c, where) => {
      const grads = repGradients(toF64(s.inputs.rep), toRows(s.inputs.rep_grads), B);
      const U = toF64((s.inputs.random_draws as { rand_like: unknown[] }).rand_like[0]);
      const r = m.aggregate(oracleInput(s, rng, { uniform: U }), grads);
      const errs: Record<string, number> = {
        rep_grad_out: relErr(r.grad, s.outputs.rep_grad_out, s.inputs.rep_grads, c.dtype),
      };
      const P = gradDropKeepProbability(grads.rep?.value as Float64Array, grads.rep?.perSample as Float64Array[], B).P;
      if (s.driver_extras?.P) errs.P = relErr(P, s.driver_extras.P, null, c.dtype);
      if (s.outputs.expected_deterministic) errs.rep_grad_out_expected = relErr(r.grad, s.outputs.expected_deterministic, s.inputs.rep_grads, c.dtype);
      t.equal(r.weights, null, `${where}: LibMTL returns None`);
      t.equal(s.outputs.returned, null);
      return errs;
    },
  });
  t.ok(replayed > 0);
});

t.test('GradDrop keeps the positive group with probability P, never a mixture (own RNG)', async (t) => {
  const oracle = loadOracle('GradDrop');
  const c = oracle.cases.find((x) => x.scenario === 'statistical_keep_rate' && x.dtype === 'float64');
  if (!c?.statistics) throw new Error('statistical_keep_rate case missing');
  const st = c.statistics;
  const repRows = toRows(st.rep);
  const B = repRows.length;
  const rep = toF64(st.rep);
  const perSample = toRows(st.rep_grads);
  const n = perSample.length;
  const d = rep.length / B;
  const grads = repGradients(rep, perSample, B);
  const { P, signed } = gradDropKeepProbability(rep, perSample, B);
  t.ok(relErr(P, st.P, null, 'float64') < 1e-9, 'P as recorded');
  const m = createGradDrop(n);
  const rng = Rng.fromSeed('graddrop-keep-rate');
  const N = 20000;
  const positiveKept = new Float64Array(d);
  let mixtures = 0;
  const input = { epoch: 0, losses: toF64(st.losses), lossHistory: [], rng };
  for (let draw = 0; draw < N; draw++) {
    const out = m.aggregate(input, grads).grad;
    for (let f = 0; f < d; f++) {
      // Decode the kept subset: R_i[0][f] = ±2^i, so the sum identifies it.
      let kept = -1;
      for (let mask = 0; mask < 1 << n; mask++) {
        let sum = 0;
        for (let i = 0; i < n; i++) if (mask & (1 << i)) sum += (perSample[i] as Float64Array)[f] as number;
        if (sum === out[f]) kept = mask;
      }
      let pos = 0;
      let neg = 0;
      for (let i = 0; i < n; i++) {
        const s = (signed[i] as Float64Array)[f] as number;
        if (s > 0) pos |= 1 << i;
        if (s < 0) neg |= 1 << i;
      }
      if (kept === pos) positiveKept[f] = (positiveKept[f] as number) + 1;
      else if (kept !== neg) mixtures++;
    }
  }
  t.equal(mixtures, 0, 'never a mixture of the two sign groups');
  const z: number[] = [];
  for (let f = 0; f < d; f++) {
    const pf = P[f] as number;
    const std = Math.sqrt((pf * (1 - pf)) / N);
    z.push(((positiveKept[f] as number) / N - pf) / std);
  }
  t.comment(`GradDrop keep-rate z-scores over ${N} draws: ${z.map((x) => x.toFixed(2)).join(', ')}`);
  for (const [f, zf] of z.entries()) t.ok(Math.abs(zf) <= 4, `feature ${f}: |z| = ${Math.abs(zf).toFixed(2)} <= 4`);
});

t.test('GradDrop: leak 1 is the plain sum, zero gradients give zeros, param mode unsupported', async (t) => {
  const rng = Rng.fromSeed(3);
  const B = 2;
  const rep = Float64Array.of(1, -2, 0.5, 3, -1, 2);
  const R = [Float64Array.of(1, 2, -3, 4, 5, -6), Float64Array.of(-1, 0.5, 2, -4, 1, 1), new Float64Array(6)];
  const grads = repGradients(rep, R, B);
  const input = { epoch: 0, losses: Float64Array.of(1, 1, 1), lossHistory: [], rng };
  const plain = createGradDrop(3, { leak: 1 }).aggregate(input, grads).grad;
  for (let k = 0; k < 6; k++) t.equal(plain[k], (R[0]?.[k] as number) + (R[1]?.[k] as number) + 0);
  const zero = createGradDrop(3).aggregate(input, repGradients(rep, [new Float64Array(6), new Float64Array(6), new Float64Array(6)], B)).grad;
  t.ok(zero.every((x) => x === 0));
  // Scale: with U fixed, multiplying every gradient by k multiplies the output by k (up to the 1e-7 of P).
  const U = { uniform: Float64Array.of(0.3, 0.6, 0.9) };
  const g1 = createGradDrop(3).aggregate({ ...input, draws: U }, grads).grad;
  for (const k of [1e-4, 1e3, 1e5]) {
    const gk = createGradDrop(3).aggregate({ ...input, draws: U }, repGradients(rep, R.map((r) => r.map((x) => x * k)), B)).grad;
    t.ok(relErr(gk.map((x) => x / k), Array.from(g1), null, 'float64') < 1e-9, `scale ${k}`);
  }
  const m = createGradDrop(3);
  t.throws(() => m.aggregate(input, { mode: 'param', G: R }), { name: 'UnsupportedError', message: /GradDrop/ });
  t.throws(() => m.aggregate({ ...input, draws: { uniform: [0.5] } }, grads), { name: 'ShapeError' });
  t.equal(m.label, 'GradDrop(leak=0)');
});
