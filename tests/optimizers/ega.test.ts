import t from 'tap';
import { alignedCoefficients } from '../../optimizers/aligned-mtl.js';
import { createEGA, EGA_PAPER_TEMPERATURES, egaCoefficients, egaDefinition, type EGAParams } from '../../optimizers/ega.js';
import { FLOAT32_EPS, FLOAT64_EPS } from '../../optimizers/linalg.js';
import type { AggregationResult, GradientAggregationMethod, StepInput } from '../../optimizers/types.js';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import { loadOracle, type OracleCase, type OracleFile, oracleGradients, oracleInput, relErr, scenarioTolerance } from '../helpers/oracle.js';

const rng = Rng.fromSeed(0);

function egaFor(file: OracleFile, c: OracleCase, variant: EGAParams['variant'] = 'reference-code'): GradientAggregationMethod {
  const T = Number(c.hyperparameters.EGA_temp ?? file.default_hyperparameters.EGA_temp);
  const m = createEGA(file.n, { T, variant, rankEps: c.dtype === 'float32' ? FLOAT32_EPS : FLOAT64_EPS });
  if (m.kind !== 'gradient-aggregation') throw new Error('EGA aggregates gradients');
  return m;
}

/** Error of the reference state (README measure on the vectors; exact for null/0/count); Infinity on a shape mismatch. */
function stateError(got: Record<string, unknown>, want: Record<string, unknown>, dtype: OracleCase['dtype']): number {
  let worst = 0;
  for (const key of ['nadir_vector', 'average_loss', 'average_loss_count']) {
    const g = got[key];
    const w = want[key];
    if (w === null || typeof w === 'number') {
      if (g !== w) worst = Infinity;
    } else if (!Array.isArray(g)) worst = Infinity;
    else worst = Math.max(worst, relErr(g as number[], w, null, dtype));
  }
  return worst;
}

t.test('replays every case of EGA.json and EGA_rep.json (variant reference-code)', async (t) => {
  for (const name of ['EGA', 'EGA_rep']) {
    const file = loadOracle(name);
    const worst: Record<string, number> = { float32: 0, float64: 0 };
    let steps = 0;
    for (const c of file.cases) {
      const tol = scenarioTolerance(c);
      const m = egaFor(file, c);
      for (const step of c.steps) {
        const grads = oracleGradients(file, step);
        const res = m.aggregate(oracleInput(step, rng), grads);
        const Gin = file.mode === 'param_grad' ? step.inputs.G : step.inputs.rep_grads;
        const gradWant = file.mode === 'param_grad' ? step.outputs.grad : step.outputs.rep_grad_out;
        const errs = [
          relErr(res.grad, gradWant, Gin, c.dtype),
          relErr(res.weights ?? [], step.outputs.returned, Gin, c.dtype),
          relErr(res.diagnostics?.eccentricWeights as number[], step.outputs.eccentric_weights, null, c.dtype),
          stateError(m.referenceState?.() ?? {}, step.outputs.state as Record<string, unknown>, c.dtype),
        ];
        const err = Math.max(...errs);
        worst[c.dtype] = Math.max(worst[c.dtype] ?? 0, err);
        steps++;
        if (tol !== null) t.ok(err <= tol, `${c.id} step ${step.index}: error ${err.toExponential(2)} <= ${tol}`, { errs });
        else t.comment(`${c.id} step ${step.index}: error ${err.toExponential(2)} (ill-conditioned by construction: reported only)`);
      }
    }
    t.comment(`${name}: ${steps} steps, max error float64 ${worst.float64?.toExponential(2)}, float32 ${worst.float32?.toExponential(2)}`);
  }
});

t.test("the write-up's worked example: 'paper' weights the aligned gradients, 'reference-code' the coefficients", async (t) => {
  const file = loadOracle('EGA');
  const c = file.cases.find((k) => k.id === 'random/EGA_temp=0.1/float64');
  if (!c) throw new Error('case random/EGA_temp=0.1/float64 missing');
  const code = egaFor(file, c, 'reference-code');
  const paper = egaFor(file, c, 'paper');
  let last: { code: AggregationResult; paper: AggregationResult } | null = null;
  for (const step of c.steps) {
    const grads = oracleGradients(file, step);
    last = { code: code.aggregate(oracleInput(step, rng), grads), paper: paper.aggregate(oracleInput(step, rng), grads) };
    if (step.epoch <= 5) t.same(Array.from(last.paper.grad), Array.from(last.code.grad), `step ${step.index}: ω = 1, the variants agree`);
  }
  if (!last) throw new Error('no steps');
  const omega = last.code.diagnostics?.eccentricWeights as number[];
  t.same(omega.map((w) => +w.toFixed(3)), [1.013, 1.843, 0.144], 'ω at step 9');
  t.same(Array.from(last.code.weights ?? [], (a) => +a.toFixed(3)), [0.542, 1.712, 0.009], 'reference-code α = (B·1)⊙ω');
  t.same(Array.from(last.paper.weights ?? [], (a) => +a.toFixed(3)), [0.644, 1.779, -0.16], 'paper α = Bω');
});

function randomG(n: number, m: number, seed: number, scales = [1, 0.5, 2, 1.5]): Float64Array[] {
  const r = Rng.fromSeed(seed);
  return Array.from({ length: n }, (_, i) => Float64Array.from({ length: m }, () => r.normal() * (scales[i % scales.length] as number)));
}

/** Drive an EGA through warm-up into the eccentric phase with decaying losses; returns the epoch-6 input. */
function eccentricPhase(m: GradientAggregationMethod, n: number): StepInput {
  const history: Float64Array[] = [];
  for (let e = 0; e <= 5; e++) {
    const losses = Float64Array.from({ length: n }, (_, i) => 1 / (1 + e * (i + 1) * 0.3));
    m.aggregate({ epoch: e, losses, lossHistory: history.slice(), rng }, { mode: 'param', G: randomG(n, 8, e) });
    history.push(losses);
  }
  return { epoch: 6, losses: Float64Array.from({ length: n }, () => 0.5), lossHistory: history, rng };
}

t.test('properties', async (t) => {
  const n = 3;
  t.test('ω sums to n, and is non-uniform after warm-up', async (t) => {
    for (const T of EGA_PAPER_TEMPERATURES) {
      const m = createEGA(n, { T }) as GradientAggregationMethod;
      const res = m.aggregate(eccentricPhase(m, n), { mode: 'param', G: randomG(n, 8, 99) });
      const omega = res.diagnostics?.eccentricWeights as number[];
      t.ok(Math.abs(omega.reduce((a, b) => a + b, 0) - n) < 1e-12, `T=${T}: Σω = n`);
      t.ok(Math.max(...omega) - Math.min(...omega) > 1e-3, `T=${T}: ω not uniform`);
    }
  });

  t.test('α is scale invariant (both variants)', async (t) => {
    for (const variant of ['paper', 'reference-code'] as const) {
      for (const k of [1e-4, 1e5]) {
        const a = createEGA(n, { variant }) as GradientAggregationMethod;
        const b = createEGA(n, { variant }) as GradientAggregationMethod;
        const ia = eccentricPhase(a, n);
        eccentricPhase(b, n);
        const G = randomG(n, 8, 7);
        const ra = a.aggregate(ia, { mode: 'param', G });
        const rb = b.aggregate(ia, { mode: 'param', G: G.map((g) => g.map((x) => x * k)) });
        const err = Math.max(...Array.from(ra.coefficients ?? [], (x, i) => Math.abs(x - (rb.coefficients?.[i] ?? NaN))));
        t.ok(err < 1e-12, `${variant}, ×${k}: |Δα| = ${err.toExponential(2)}`);
      }
    }
  });

  t.test("'paper' equals 'reference-code' when ω is uniform", async (t) => {
    const G = randomG(n, 8, 3);
    const { B, alpha } = alignedCoefficients('test', G, FLOAT64_EPS);
    const one = [1, 1, 1];
    const p = egaCoefficients(B, one, 'paper');
    const r = egaCoefficients(B, one, 'reference-code');
    for (let i = 0; i < n; i++) {
      t.ok(Math.abs((p[i] as number) - (alpha[i] as number)) < 1e-14, `paper α_${i} = Aligned-MTL α_${i}`);
      t.ok(Math.abs((r[i] as number) - (alpha[i] as number)) < 1e-14, `reference-code α_${i} = Aligned-MTL α_${i}`);
    }
    // Orthogonal gradients: B is diagonal, so the variants agree for any ω.
    const orth = [Float64Array.of(2, 0, 0), Float64Array.of(0, 1, 0), Float64Array.of(0, 0, 3)];
    const Bo = alignedCoefficients('test', orth, FLOAT64_EPS).B;
    const w = [0.5, 1.7, 0.8];
    t.same(Array.from(egaCoefficients(Bo, w, 'paper'), (x) => +x.toFixed(12)), Array.from(egaCoefficients(Bo, w, 'reference-code'), (x) => +x.toFixed(12)));
  });

  t.test('state survives a JSON round trip and the run continues identically', async (t) => {
    const a = createEGA(n, { T: 0.5 }) as GradientAggregationMethod;
    const history: Float64Array[] = [];
    const epochs = [0, 3, 4, 4, 5, 6, 6, 7];
    const inputs = epochs.map((e, s) => {
      const losses = Float64Array.from({ length: n }, (_, i) => 1 / (1 + (s + 1) * (i + 1) * 0.2));
      while (history.length < e) history.push(Float64Array.from({ length: n }, (_, i) => 1 / (1 + history.length * (i + 1) * 0.25)));
      return { epoch: e, losses, lossHistory: history.slice(0, e), rng } satisfies StepInput;
    });
    const G = (s: number) => ({ mode: 'param' as const, G: randomG(n, 8, 100 + s) });
    for (let s = 0; s < 4; s++) a.aggregate(inputs[s] as StepInput, G(s));
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const b = createEGA(n, { T: 0.5 }) as GradientAggregationMethod;
    b.setState(saved);
    t.same(b.referenceState?.(), a.referenceState?.(), 'same reference state after restore');
    for (let s = 4; s < epochs.length; s++) {
      const ra = a.aggregate(inputs[s] as StepInput, G(s));
      const rb = b.aggregate(inputs[s] as StepInput, G(s));
      t.same(Array.from(rb.grad), Array.from(ra.grad), `step ${s}: identical update`);
    }
    t.throws(() => b.setState({ nadir: [1, 2], lossSum: null, lossCount: 0 }), { name: 'ShapeError' });
    t.throws(() => b.setState({ nadir: null, lossSum: null, lossCount: -1 }), ConfigError);
  });

  t.test('zero gradient and ×1e5 give finite output', async (t) => {
    const base = randomG(n, 8, 11);
    const cases: [string, Float64Array[]][] = [
      ['zero task gradient', [base[0] as Float64Array, new Float64Array(8), base[2] as Float64Array]],
      ['all zero', base.map((g) => new Float64Array(g.length))],
      ['×1e5', base.map((g) => g.map((x) => x * 1e5))],
      ['near collinear', [base[0] as Float64Array, (base[0] as Float64Array).map((x, k) => x * (1 + 1e-6 * Math.sin(k))), base[2] as Float64Array]],
    ];
    for (const variant of ['paper', 'reference-code'] as const) {
      for (const [what, G] of cases) {
        const m = createEGA(n, { variant }) as GradientAggregationMethod;
        const res = m.aggregate(eccentricPhase(m, n), { mode: 'param', G });
        t.ok(res.grad.every(Number.isFinite) && (res.coefficients ?? []).every(Number.isFinite), `${variant}, ${what}: finite`);
      }
    }
  });

  t.test('a warm-up epoch without steps is a clear error, not 0/0', async (t) => {
    const m = createEGA(n) as GradientAggregationMethod;
    const G = { mode: 'param' as const, G: randomG(n, 8, 1) };
    const hist = Array.from({ length: 6 }, () => Float64Array.of(1, 1, 1));
    m.aggregate({ epoch: 3, losses: Float64Array.of(1, 1, 1), lossHistory: hist.slice(0, 3), rng }, G);
    t.throws(() => m.aggregate({ epoch: 5, losses: Float64Array.of(1, 1, 1), lossHistory: hist.slice(0, 5), rng }, G), {
      name: 'ConfigError',
      message: /warmupEpoch: got 4, expected an epoch with at least one training step/,
    });
  });

  t.test('a missing previous-epoch loss or a zero nadir raises', async (t) => {
    const m = createEGA(n) as GradientAggregationMethod;
    const G = { mode: 'param' as const, G: randomG(n, 8, 1) };
    m.aggregate({ epoch: 4, losses: Float64Array.of(1, 0, 1), lossHistory: [], rng }, G);
    t.throws(() => m.aggregate({ epoch: 5, losses: Float64Array.of(1, 1, 1), lossHistory: [], rng }, G), { name: 'ShapeError' });
    const hist = Array.from({ length: 5 }, () => Float64Array.of(1, 1, 1));
    t.throws(() => m.aggregate({ epoch: 5, losses: Float64Array.of(1, 1, 1), lossHistory: hist, rng }, G), { name: 'NumericalError', message: /task 1/ });
  });

  t.test('warmupEpoch is configurable; parameters are validated; label', async (t) => {
    const m = createEGA(n, { warmupEpoch: 0 }) as GradientAggregationMethod;
    const G = { mode: 'param' as const, G: randomG(n, 8, 1) };
    m.aggregate({ epoch: 0, losses: Float64Array.of(2, 1, 1), lossHistory: [], rng }, G);
    const r = m.aggregate({ epoch: 1, losses: Float64Array.of(1, 1, 1), lossHistory: [Float64Array.of(1, 1, 1)], rng }, G);
    t.same((r.diagnostics?.eccentricWeights as number[]).map((w) => +w.toFixed(6)), [0.69809, 1.150955, 1.150955], 'nadir from epoch 0: ω = 3·softmax(1/2, 1, 1)');
    t.throws(() => createEGA(n, { T: 0 }), ConfigError);
    t.throws(() => createEGA(n, { warmupEpoch: 1.5 }), ConfigError);
    t.throws(() => createEGA(n, { variant: 'other' as never }), ConfigError);
    t.equal(createEGA(n).label, 'EGA(T=1)', 'technical parameters appear only when not at their defaults');
    t.equal(createEGA(n, { T: 0.5, variant: 'reference-code' }).label, 'EGA(T=0.5, variant=reference-code)');
    t.equal(createEGA(n, { rankEps: 1e-12 }).label, 'EGA(T=1, eps=1e-12)');
    t.same(EGA_PAPER_TEMPERATURES, [0.1, 0.5, 1.0, 1.5, 2.0]);
    t.equal(egaDefinition.params.T.reference, 'EGA_temp');
  });
});
