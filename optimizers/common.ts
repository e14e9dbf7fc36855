/** Shared helpers for the method files: parameter validation, canonical labels, combinations. */
import { ConfigError, ShapeError, UnsupportedError } from '../src/errors.js';
import type {
  AggregationResult,
  Capabilities,
  JsonObject,
  JsonValue,
  MethodDefinition,
  ParamSpec,
  ParamValues,
  StepInput,
  TaskGradients,
} from './types.js';

/** Merge user params over the defaults and validate every field; unknown keys are rejected. */
export function resolveParams<P extends ParamValues>(
  def: Pick<MethodDefinition<P>, 'id' | 'defaults' | 'params'>,
  given: Partial<P> | undefined,
): P {
  const out: Record<string, number | string | boolean> = { ...def.defaults };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (value === undefined) continue;
    if (!(key in def.params)) {
      throw new ConfigError(`${def.id}.${key}`, value, `one of the parameters ${Object.keys(def.params).join(', ') || '(none)'}`);
    }
    out[key] = value as number | string | boolean;
  }
  for (const [key, spec] of Object.entries(def.params) as [string, ParamSpec][]) {
    checkParam(`${def.id}.${key}`, out[key], spec);
  }
  return out as P;
}

export function checkParam(field: string, value: unknown, spec: ParamSpec): void {
  switch (spec.type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw new ConfigError(field, value, 'a boolean');
      return;
    case 'enum':
      if (!spec.values?.includes(value as string | number)) {
        throw new ConfigError(field, value, `one of ${spec.values?.map((v) => JSON.stringify(v)).join(', ')}`);
      }
      return;
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConfigError(field, value, `a finite ${spec.type}`);
      if (spec.type === 'integer' && !Number.isInteger(value)) throw new ConfigError(field, value, 'an integer');
      if (spec.min !== undefined && value < spec.min) throw new ConfigError(field, value, `a value >= ${spec.min}`);
      if (spec.max !== undefined && value > spec.max) throw new ConfigError(field, value, `a value <= ${spec.max}`);
      if (spec.gt !== undefined && !(value > spec.gt)) throw new ConfigError(field, value, `a value > ${spec.gt}`);
      return;
    }
  }
}

/** `CAGrad(c=0.5, rescale=1)`; a method without parameters is just its display name. */
export function canonicalLabel<P extends ParamValues>(def: Pick<MethodDefinition<P>, 'displayName' | 'params' | 'defaults'>, params: P): string {
  const parts = Object.entries(def.params as Record<string, ParamSpec>)
    .filter(([key, spec]) => spec.label !== 'non-default' || params[key] !== def.defaults[key])
    .map(([key, spec]) => `${spec.short ?? key}=${String(params[key])}`);
  return parts.length ? `${def.displayName}(${parts.join(', ')})` : def.displayName;
}

/** Every capability off; the two builders below switch on what each kind of method has. */
const NO_CAPABILITIES: Capabilities = {
  stateful: false,
  stochastic: false,
  needsTaskGradients: false,
  paramMode: false,
  repMode: false,
  requiresRep: false,
  learnable: false,
  usesLossHistory: false,
  needsPostStepLosses: false,
};

/**
 * Capabilities of a loss-weighting method: by default stateless, deterministic, param mode, one
 * backward pass of the scalar objective; `overrides` states what differs (e.g. `{ stateful: true }`).
 */
export function lossWeightingCaps(overrides: Partial<Capabilities> = {}): Capabilities {
  return { ...NO_CAPABILITIES, paramMode: true, ...overrides };
}

/**
 * Capabilities of a gradient-aggregation method: by default stateless, deterministic, per-task
 * gradients of the shared parameters (param mode only); `overrides` states what differs
 * (e.g. `{ repMode: true }`).
 */
export function aggregationCaps(overrides: Partial<Capabilities> = {}): Capabilities {
  return { ...NO_CAPABILITIES, needsTaskGradients: true, paramMode: true, ...overrides };
}

export function checkTasks(id: string, nTasks: number): void {
  if (!Number.isInteger(nTasks) || nTasks < 1) throw new ConfigError(`${id}.nTasks`, nTasks, 'an integer >= 1');
}

/** Validate a step's inputs against the method's task count. */
export function checkStep(id: string, nTasks: number, input: StepInput, grads?: TaskGradients): void {
  if (input.losses.length !== nTasks) throw new ShapeError(`${id}: losses`, [nTasks], [input.losses.length]);
  if (!grads) return;
  if (grads.G.length !== nTasks) throw new ShapeError(`${id}: task gradients`, [nTasks, 'm'], [grads.G.length]);
  const m = grads.G[0]?.length ?? 0;
  for (const [i, g] of grads.G.entries()) {
    if (g.length !== m) throw new ShapeError(`${id}: gradient of task ${i}`, [m], [g.length]);
  }
  if (grads.mode === 'rep') {
    const rep = grads.rep;
    if (!rep) throw new ShapeError(`${id}: representation`, 'rep-mode input with rep.value and rep.perSample', 'none');
    if (rep.perSample.length !== nTasks) throw new ShapeError(`${id}: per-sample rep gradients`, [nTasks], [rep.perSample.length]);
    for (const [i, r] of rep.perSample.entries()) {
      if (r.length !== rep.value.length) throw new ShapeError(`${id}: rep gradient of task ${i}`, [rep.value.length], [r.length]);
    }
  }
}

/** For methods that LibMTL runs on shared-parameter gradients only: an UnsupportedError in rep mode. */
export function requireParamMode(displayName: string, grads: TaskGradients): void {
  if (grads.mode !== 'param') throw new UnsupportedError(`${displayName} works on shared-parameter gradients only (LibMTL raises in rep mode)`);
}

/** Σ_i α_i rows_i. */
export function combine(alpha: ArrayLike<number>, rows: readonly Float64Array[]): Float64Array {
  const m = rows[0]?.length ?? 0;
  const out = new Float64Array(m);
  for (let i = 0; i < rows.length; i++) {
    const a = alpha[i] ?? 0;
    if (a === 0) continue;
    const r = rows[i] as Float64Array;
    for (let k = 0; k < m; k++) out[k] += a * (r[k] as number);
  }
  return out;
}

/**
 * A result whose update is Σ α_i g_i: in param mode over the shared-parameter gradients, in rep
 * mode over the per-sample representation gradients (the encoder then gets one backward pass).
 */
export function linearResult(
  grads: TaskGradients,
  alpha: Float64Array,
  extra: Partial<Omit<AggregationResult, 'grad' | 'coefficients'>> = {},
): AggregationResult {
  const rows = grads.mode === 'rep' && grads.rep ? grads.rep.perSample : grads.G;
  return {
    grad: combine(alpha, rows),
    coefficients: alpha,
    weights: extra.weights === undefined ? alpha : extra.weights,
    headScale: extra.headScale ?? null,
    ...(extra.learnableGrad ? { learnableGrad: extra.learnableGrad } : {}),
    ...(extra.diagnostics ? { diagnostics: extra.diagnostics } : {}),
  };
}

export const ones = (n: number): Float64Array => new Float64Array(n).fill(1);

export const toJson = (a: ArrayLike<number> | null): JsonValue => (a === null ? null : Array.from(a));

export function fromJson(field: string, v: JsonValue | undefined, length?: number): Float64Array<ArrayBuffer> {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw new ConfigError(field, v, 'an array of numbers');
  if (length !== undefined && v.length !== length) throw new ShapeError(field, [length], [v.length]);
  return Float64Array.from(v as number[]);
}

export function numField(state: JsonObject, field: string): number {
  const v = state[field];
  if (typeof v !== 'number') throw new ConfigError(`state.${field}`, v, 'a number');
  return v;
}

/** A counter in a method's state (e.g. `step`): a ConfigError naming `${id} state.${field}` unless an integer >= 0. */
export function countField(id: string, state: JsonObject, field: string): number {
  const v = numField(state, field);
  if (!Number.isInteger(v) || v < 0) throw new ConfigError(`${id} state.${field}`, v, 'an integer >= 0');
  return v;
}

/** Base for methods without state or learnable parameters. */
export abstract class StatelessMethod {
  getState(): JsonObject {
    return {};
  }
  setState(_state: JsonObject): void {}
  learnable(): Float64Array | null {
    return null;
  }
  setLearnable(_values: ArrayLike<number>): void {}
}
