/**
 * DB-MTL: dual-balancing multi-task learning.
 *
 * Paper: Lin et al., "Dual-Balancing for Multi-Task Learning", arXiv 2308.12029, 2023; as
 * implemented in LibMTL `DB_MTL.py`.
 * Update (step k = 1, 2, ...): loss balancing by the log transform, ĝ_i = ∇ log(L_i + 1e-8) =
 * g_i / (L_i + 1e-8) (the method receives the plain g_i = ∇L_i and divides itself);
 * gradient EMA b_i ← ĝ_i + (β / k^σ)(b_i − ĝ_i) (b = 0 at the start); magnitude balancing
 * α_i = max_j ‖b_j‖ / (‖b_i‖ + 1e-8); update Σ_i α_i b_i. Returns ones (as LibMTL). The heads
 * back-propagate log(L_t + 1e-8), so headScale = 1/(L_t + 1e-8).
 * Hyperparameters:
 * - beta (0 ≤ β ≤ 1, default 0.9; LibMTL `--DB_beta`): weight of the past in the EMA.
 * - betaSigma (≥ 0, default 0; LibMTL `--DB_beta_sigma`): decay exponent, β_k = β / k^σ.
 * State: step k and the buffer b (n × m, created at the first step), JSON-serialisable.
 * Deviations: none (float64); non-finite inputs raise a NumericalError. The update is not a
 * combination of the current gradients, so `coefficients` is null.
 */
import { ConfigError, NumericalError, ShapeError } from '../src/errors.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, countField, ones, requireParamMode, resolveParams } from './common.js';
import type { AggregationResult, GradientAggregationMethod, JsonObject, JsonValue, MethodDefinition, StepInput, TaskGradients } from './types.js';

export type DBMTLParams = {
  readonly beta: number;
  readonly betaSigma: number;
};

export const dbMtlDefinition: MethodDefinition<DBMTLParams> = {
  id: 'db-mtl',
  displayName: 'DB-MTL',
  kind: 'gradient-aggregation',
  paper: { title: 'Dual-Balancing for Multi-Task Learning', venue: 'arXiv 2308.12029', year: 2023 },
  defaults: { beta: 0.9, betaSigma: 0 },
  params: {
    beta: { type: 'number', min: 0, max: 1, description: 'EMA weight of the past gradient buffer', short: 'beta', reference: 'DB_beta' },
    betaSigma: { type: 'number', min: 0, max: 10, description: 'decay exponent: beta_k = beta / k^sigma', short: 'sigma', reference: 'DB_beta_sigma' },
  },
  capabilities: aggregationCaps({ stateful: true }),
  referenceNames: ['DB_MTL'],
  create: (nTasks, params) => createDBMTL(nTasks, params),
};

export interface DBMTLMethod extends GradientAggregationMethod {
  referenceState(): Record<string, JsonValue>;
}

export function createDBMTL(nTasks: number, params?: Partial<DBMTLParams>): DBMTLMethod {
  checkTasks('db-mtl', nTasks);
  const p = resolveParams(dbMtlDefinition, params);
  const label = canonicalLabel(dbMtlDefinition, p);
  let step = 0;
  let buffer: Float64Array[] | null = null;
  const bufferJson = (): JsonValue => (buffer ? buffer.map((r) => Array.from(r)) : null);
  return {
    id: 'db-mtl',
    kind: 'gradient-aggregation',
    label,
    nTasks,
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      requireParamMode('DB-MTL', grads);
      checkStep('db-mtl', nTasks, input, grads);
      const m = grads.G[0]?.length ?? 0;
      if (buffer && (buffer[0]?.length ?? 0) !== m) throw new ShapeError('db-mtl: gradient buffer', [nTasks, buffer[0]?.length ?? 0], [nTasks, m]);
      const scale = Float64Array.from(input.losses, (l) => 1 / (l + 1e-8));
      for (const v of scale) if (!Number.isFinite(v)) throw new NumericalError(`${label}: a loss gives a non-finite 1/(L + 1e-8)`);
      step += 1;
      const decay = p.beta / step ** p.betaSigma;
      const prev = buffer ?? grads.G.map(() => new Float64Array(m));
      buffer = grads.G.map((g, i) => {
        const s = scale[i] as number;
        const b = prev[i] as Float64Array;
        return Float64Array.from(g, (v, k) => {
          const gh = v * s;
          return gh + decay * ((b[k] as number) - gh);
        });
      });
      const norms = buffer.map((b) => Math.sqrt(b.reduce((acc, v) => acc + v * v, 0)));
      const umax = Math.max(...norms);
      const alpha = Float64Array.from(norms, (u) => umax / (u + 1e-8));
      const grad = new Float64Array(m);
      buffer.forEach((b, i) => {
        const a = alpha[i] as number;
        for (let k = 0; k < m; k++) grad[k] = (grad[k] as number) + a * (b[k] as number);
      });
      for (const v of grad) if (!Number.isFinite(v)) throw new NumericalError(`${label}: non-finite update (check the task gradients)`);
      return { grad, coefficients: null, weights: ones(nTasks), headScale: scale, diagnostics: { step, bufferScale: Array.from(alpha) } };
    },
    getState(): JsonObject {
      return { step, gradBuffer: bufferJson() };
    },
    setState(state: JsonObject): void {
      const s = countField('db-mtl', state, 'step');
      const b = state['gradBuffer'];
      if (b === null || b === undefined) {
        buffer = null;
      } else {
        if (!Array.isArray(b) || b.length !== nTasks) throw new ConfigError('db-mtl state.gradBuffer', b, `${nTasks} rows of numbers`);
        const rows = b.map((r, i) => {
          if (!Array.isArray(r) || r.some((v) => typeof v !== 'number')) throw new ConfigError(`db-mtl state.gradBuffer[${i}]`, r, 'an array of numbers');
          return Float64Array.from(r as number[]);
        });
        if (rows.some((r) => r.length !== rows[0]?.length)) throw new ConfigError('db-mtl state.gradBuffer', 'ragged rows', 'rows of equal length');
        buffer = rows;
      }
      step = s;
    },
    learnable: () => null,
    setLearnable: () => {},
    referenceState(): Record<string, JsonValue> {
      return { grad_buffer: bufferJson(), step };
    },
  };
}
