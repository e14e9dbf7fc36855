/**
 * STCH: smooth Tchebycheff scalarisation.
 *
 * Paper: Lin, Zhang, Yang, Liu, Wang and Zhang, "Smooth Tchebycheff Scalarization for
 * Multi-Objective Optimization", ICML 2024; as implemented in LibMTL `STCH.py`.
 * Update, with W the warm-up epoch and e the epoch:
 * - e < W: objective Σ_i log(L_i + 1e-20); every parameter receives Σ_i ∇L_i / (L_i + 1e-20).
 * - e = W: the same, and the batch losses are accumulated (sum and count) for the nadir point.
 * - e > W: on the first such step the nadir z = accumulated sum / count is fixed for good;
 *   l_i = log(L_i / z_i + 1e-20), p = softmax(l / μ), objective n·μ·log Σ_i exp((l_i − max_j l_j)/μ)
 *   (LibMTL back-propagates this value: the detached max is not added back), and every parameter
 *   receives Σ_i n·p_i·∇L_i / (z_i (L_i / z_i + 1e-20)).
 * Reported weights: ones (as LibMTL; the applied coefficients are in `coefficients`).
 * Hyperparameters:
 * - mu (> 0, default 1): smoothing; μ → 0 approaches the Tchebycheff max, large μ the mean.
 * - warmupEpoch (integer >= 0, default 4): the epoch whose batch losses define the nadir point.
 * State: the nadir point, the warm-up sum and count, the step counter (JSON via getState/setState;
 * `referenceState()` gives LibMTL's `nadir_vector`, `average_loss`, `average_loss_count`, `step`).
 * Deviations: (a) if no step ran in the warm-up epoch (e.g. a run resumed past it), LibMTL raises
 * ZeroDivisionError; we take the nadir from the epoch-mean losses of epoch W in `lossHistory` when
 * present, else from the current batch losses. (b) A nadir entry of 0 (a task whose loss was
 * exactly 0 throughout the warm-up epoch) would give L/0 = Inf/NaN; we floor nadir entries at 1e-20,
 * which gives that task the weight the limit gives it. (c) Negative or non-finite losses raise a
 * NumericalError naming the method (LibMTL: log of a negative number, NaN).
 */
import { NumericalError } from '../src/errors.js';
import { canonicalLabel, checkStep, checkTasks, fromJson, lossWeightingCaps, numField, ones, resolveParams, toJson } from './common.js';
import { softmaxExtended } from './linalg.js';
import type { JsonObject, JsonValue, LossWeightingMethod, LossWeightingResult, MethodDefinition, StepInput } from './types.js';

export type STCHParams = {
  /** Smoothing parameter μ. */
  readonly mu: number;
  /** Epoch whose batch losses define the nadir point. */
  readonly warmupEpoch: number;
};

export const stchDefinition: MethodDefinition<STCHParams> = {
  id: 'stch',
  displayName: 'STCH',
  kind: 'loss-weighting',
  paper: { title: 'Smooth Tchebycheff Scalarization for Multi-Objective Optimization', venue: 'ICML', year: 2024 },
  defaults: { mu: 1.0, warmupEpoch: 4 },
  params: {
    mu: { type: 'number', gt: 0, max: 1e6, description: 'smoothing of the Tchebycheff max (log-sum-exp temperature)', short: 'mu', reference: 'STCH_mu' },
    warmupEpoch: {
      type: 'integer',
      min: 0,
      max: 1e6,
      description: 'epoch whose batch losses define the nadir point; smoothing starts after it',
      short: 'warmup',
      reference: 'STCH_warmup_epoch',
      warmup: true,
    },
  },
  capabilities: lossWeightingCaps({ stateful: true, usesLossHistory: true }),
  referenceNames: ['STCH'],
  create: (nTasks, params) => createSTCH(nTasks, params),
};

const EPS = 1e-20;

export function createSTCH(nTasks: number, params?: Partial<STCHParams>): LossWeightingMethod {
  checkTasks('stch', nTasks);
  const p = resolveParams(stchDefinition, params);
  const label = canonicalLabel(stchDefinition, p);
  let nadir: Float64Array | null = null;
  /** Sum of the warm-up epoch's batch losses (null: nothing accumulated yet, LibMTL's scalar 0). */
  let averageLoss: Float64Array | null = null;
  let count = 0;
  let step = 0;

  const optionalVector = (state: JsonObject, field: string): Float64Array | null =>
    state[field] === null || state[field] === undefined ? null : fromJson(`stch: state.${field}`, state[field], nTasks);

  const fixNadir = (input: StepInput): Float64Array => {
    let z: Float64Array;
    if (averageLoss && count > 0) z = averageLoss.map((s) => s / count);
    else {
      const h = input.lossHistory[p.warmupEpoch];
      z = Float64Array.from(h && h.length === nTasks ? h : input.losses);
    }
    for (let i = 0; i < nTasks; i++) z[i] = Math.max(z[i] as number, EPS);
    return z;
  };

  return {
    id: 'stch',
    kind: 'loss-weighting',
    label,
    nTasks,
    getState: (): JsonObject => ({ nadir: toJson(nadir), averageLoss: toJson(averageLoss), averageLossCount: count, step }),
    setState(state: JsonObject): void {
      const z = optionalVector(state, 'nadir');
      const a = optionalVector(state, 'averageLoss');
      const c = numField(state, 'averageLossCount');
      const s = numField(state, 'step');
      nadir = z;
      averageLoss = a;
      count = c;
      step = s;
    },
    learnable: () => null,
    setLearnable: () => {},
    referenceState: (): Record<string, JsonValue> => ({
      nadir_vector: toJson(nadir),
      average_loss: averageLoss ? toJson(averageLoss) : 0,
      average_loss_count: count,
      step,
    }),
    weigh(input: StepInput): LossWeightingResult {
      checkStep('stch', nTasks, input);
      for (const L of input.losses) {
        if (!Number.isFinite(L) || L < 0) throw new NumericalError(`${label}: losses must be finite and >= 0, got ${L}`);
      }
      step += 1;
      const L = input.losses;
      if (input.epoch <= p.warmupEpoch) {
        if (input.epoch === p.warmupEpoch) {
          averageLoss ??= new Float64Array(nTasks);
          for (let i = 0; i < nTasks; i++) averageLoss[i] = (averageLoss[i] as number) + (L[i] as number);
          count += 1;
        }
        let objective = 0;
        const coefficients = new Float64Array(nTasks);
        for (let i = 0; i < nTasks; i++) {
          objective += Math.log((L[i] as number) + EPS);
          coefficients[i] = 1 / ((L[i] as number) + EPS);
        }
        return { objective, coefficients, weights: ones(nTasks) };
      }
      nadir ??= fixNadir(input);
      const z = nadir;
      const ratio = Float64Array.from(L, (x, i) => x / (z[i] as number));
      const l = ratio.map((r) => Math.log(r + EPS));
      let mx = -Infinity;
      for (const v of l) mx = Math.max(mx, v);
      const probs = softmaxExtended(l.map((v) => v / p.mu), label);
      let s = 0;
      for (const v of l) s += Math.exp((v - mx) / p.mu);
      const objective = nTasks * p.mu * Math.log(s);
      const coefficients = Float64Array.from(
        probs,
        (pi, i) => (nTasks * pi) / ((ratio[i] as number) + EPS) / (z[i] as number),
      );
      return { objective, coefficients, weights: ones(nTasks), diagnostics: { probabilities: Array.from(probs) } };
    },
  };
}
