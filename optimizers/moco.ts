/**
 * MoCo: multi-objective gradient correction with a tracked gradient estimate.
 *
 * Paper: Fernando, Shen, Liu, Chaudhury, Murugesan and Chen, "Mitigating Gradient Bias in
 * Multi-objective Learning: A Provably Convergent Approach", ICLR 2023; as implemented in LibMTL
 * `MoCo.py`.
 * Update, at step k = 1, 2, ... with state y (n×m, 0 at the start) and λ (n, 1/n at the start):
 * ĝ_i = g_i / (‖g_i‖ + 1e-8) · L_i (normalised gradient times the loss value);
 * y ← y − (β / k^{σ_β}) (y − Ĝ);
 * λ ← softmax(λ − (γ / k^{σ_γ}) (y yᵀ + ρ I) λ);
 * the shared parameters receive yᵀ λ. Reported weights λ. The update is a combination of the
 * tracked y, not of this step's gradients, so no combination coefficients are reported.
 * Hyperparameters (LibMTL defaults):
 * - beta (in [0, 1], default 0.5) and betaSigma (>= 0, default 0.5): tracking rate β / k^{σ_β}.
 * - gamma (>= 0, default 0.1) and gammaSigma (>= 0, default 0.5): step on λ, γ / k^{σ_γ}.
 * - rho (>= 0, default 0): ridge on y yᵀ.
 * State: y, λ and the step counter (JSON via getState/setState; `referenceState()` gives LibMTL's
 * `y`, `lambd`, `step`).
 * Deviations: none in the arithmetic (the softmax subtracts its maximum, as torch does, so large
 * y yᵀ cannot overflow). Non-finite losses or gradients raise a NumericalError naming the method
 * instead of corrupting the state. Rep mode raises an UnsupportedError, as LibMTL raises ValueError.
 */
import { ConfigError, NumericalError, ShapeError, UnsupportedError } from '../src/errors.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, fromJson, numField, resolveParams, toJson } from './common.js';
import { dot, norm, softmax } from './linalg.js';
import type {
  AggregationResult,
  GradientAggregationMethod,
  JsonObject,
  JsonValue,
  MethodDefinition,
  StepInput,
  TaskGradients,
} from './types.js';

export type MoCoParams = {
  readonly beta: number;
  readonly betaSigma: number;
  readonly gamma: number;
  readonly gammaSigma: number;
  readonly rho: number;
};

export const mocoDefinition: MethodDefinition<MoCoParams> = {
  id: 'moco',
  displayName: 'MoCo',
  kind: 'gradient-aggregation',
  paper: {
    title: 'Mitigating Gradient Bias in Multi-objective Learning: A Provably Convergent Approach',
    venue: 'ICLR',
    year: 2023,
  },
  defaults: { beta: 0.5, betaSigma: 0.5, gamma: 0.1, gammaSigma: 0.5, rho: 0 },
  params: {
    beta: { type: 'number', min: 0, max: 1, description: 'tracking rate of y (divided by k^betaSigma)', short: 'beta', reference: 'MoCo_beta' },
    betaSigma: { type: 'number', min: 0, max: 10, description: 'decay exponent of the tracking rate', short: 'beta_sigma', reference: 'MoCo_beta_sigma' },
    gamma: { type: 'number', min: 0, max: 1e6, description: 'step size on λ (divided by k^gammaSigma)', short: 'gamma', reference: 'MoCo_gamma' },
    gammaSigma: { type: 'number', min: 0, max: 10, description: 'decay exponent of the λ step', short: 'gamma_sigma', reference: 'MoCo_gamma_sigma' },
    rho: { type: 'number', min: 0, max: 1e6, description: 'ridge ρ on y yᵀ', short: 'rho', reference: 'MoCo_rho' },
  },
  capabilities: aggregationCaps({ stateful: true }),
  referenceNames: ['MoCo'],
  create: (nTasks, params) => createMoCo(nTasks, params),
};

export function createMoCo(nTasks: number, params?: Partial<MoCoParams>): GradientAggregationMethod {
  checkTasks('moco', nTasks);
  const p = resolveParams(mocoDefinition, params);
  const label = canonicalLabel(mocoDefinition, p);
  const n = nTasks;
  /** The tracked gradients (n rows of length m); null until the first step fixes m. */
  let y: Float64Array[] | null = null;
  let lambda: Float64Array = new Float64Array(n).fill(1 / n);
  let step = 0;

  const yJson = (): JsonValue => (y ? y.map((row) => toJson(row)) : null);

  return {
    id: 'moco',
    kind: 'gradient-aggregation',
    label,
    nTasks,
    getState: (): JsonObject => ({ y: yJson(), lambda: toJson(lambda), step }),
    setState(state: JsonObject): void {
      const s = numField(state, 'step');
      const l = fromJson('moco: state.lambda', state.lambda, n);
      let rows: Float64Array[] | null = null;
      if (state.y !== null && state.y !== undefined) {
        if (!Array.isArray(state.y) || state.y.length !== n) throw new ConfigError('moco: state.y', state.y, `${n} rows of numbers`);
        rows = state.y.map((r, i) => fromJson(`moco: state.y[${i}]`, r));
        const m = rows[0]?.length ?? 0;
        rows.forEach((r, i) => {
          if (r.length !== m) throw new ShapeError(`moco: state.y[${i}]`, [m], [r.length]);
        });
      }
      y = rows;
      lambda = l;
      step = s;
    },
    learnable: () => null,
    setLearnable: () => {},
    referenceState: (): Record<string, JsonValue> => ({ y: yJson(), lambd: toJson(lambda), step }),
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      if (grads.mode !== 'param') {
        throw new UnsupportedError(`${label}: MoCo works on parameter gradients only, not on representation gradients (rep mode)`);
      }
      checkStep('moco', n, input, grads);
      const m = grads.G[0]?.length ?? 0;
      for (let i = 0; i < n; i++) {
        const L = input.losses[i] as number;
        if (!Number.isFinite(L)) throw new NumericalError(`${label}: loss of task ${i} is ${L}`);
        for (const x of grads.G[i] as Float64Array) {
          if (!Number.isFinite(x)) throw new NumericalError(`${label}: gradient of task ${i} contains ${x}`);
        }
      }
      if (y && (y[0]?.length ?? 0) !== m) throw new ShapeError(`${label}: shared gradient`, [y[0]?.length ?? 0], [m]);
      const Y = y ?? Array.from({ length: n }, () => new Float64Array(m));
      step += 1;
      const rate = p.beta / Math.pow(step, p.betaSigma);
      for (let i = 0; i < n; i++) {
        const g = grads.G[i] as Float64Array;
        const L = input.losses[i] as number;
        const denom = norm(g) + 1e-8;
        const yi = Y[i] as Float64Array;
        for (let q = 0; q < m; q++) {
          const gHat = ((g[q] as number) / denom) * L;
          yi[q] = (yi[q] as number) - rate * ((yi[q] as number) - gHat);
        }
      }
      y = Y;
      const eta = p.gamma / Math.pow(step, p.gammaSigma);
      const z = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let a = p.rho * (lambda[i] as number);
        for (let j = 0; j < n; j++) a += dot(Y[i] as Float64Array, Y[j] as Float64Array) * (lambda[j] as number);
        z[i] = (lambda[i] as number) - eta * a;
      }
      lambda = softmax(z);
      const grad = new Float64Array(m);
      for (let i = 0; i < n; i++) {
        const li = lambda[i] as number;
        const yi = Y[i] as Float64Array;
        for (let q = 0; q < m; q++) grad[q] = (grad[q] as number) + li * (yi[q] as number);
      }
      return { grad, coefficients: null, weights: Float64Array.from(lambda), headScale: null };
    },
  };
}
