/**
 * Checks a method definition exported by a plugin as the built-ins are checked: its shape (id,
 * kind, parameter specs whose defaults pass their own validation, capability flags, factory), then
 * a probe — a few steps on a tiny synthetic problem — so that a method that throws, returns the
 * wrong shape or NaN is rejected when it is loaded, before any run starts.
 */
import { checkParam } from '../../optimizers/common.js';
import type { Capabilities, MethodDefinition, MtlMethod, ParamSpec, ParamValues, StepInput, TaskGradients } from '../../optimizers/types.js';
import { MtlBenchError } from '../errors.js';
import { Rng } from '../rng.js';

const CAPABILITIES: readonly (keyof Capabilities)[] = ['stateful', 'stochastic', 'needsTaskGradients', 'paramMode', 'repMode', 'requiresRep', 'learnable', 'usesLossHistory', 'needsPostStepLosses'];
const PARAM_TYPES = ['number', 'integer', 'boolean', 'enum'];

/** Problem found in an export; the loader prefixes the module and export name. */
export class ExportProblem extends Error {}

const fail = (msg: string): never => {
  throw new ExportProblem(msg);
};
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const ID_PATTERN = /^[a-z][a-z0-9-]*$/;

/** A method definition's shape, with the optional fields (paper, referenceNames) filled in. */
export function checkMethodShape(v: Record<string, unknown>): MethodDefinition<ParamValues> {
  if (typeof v.id !== 'string' || !ID_PATTERN.test(v.id)) fail(`id: got ${JSON.stringify(v.id)}, expected a kebab-case string such as "inv-loss"`);
  if (typeof v.displayName !== 'string' || v.displayName.length === 0) fail('displayName: expected a non-empty string');
  if (v.kind !== 'loss-weighting' && v.kind !== 'gradient-aggregation') fail(`kind: got ${JSON.stringify(v.kind)}, expected "loss-weighting" or "gradient-aggregation"`);
  if (typeof v.create !== 'function') fail('create: expected a function (nTasks, params) => method');
  if (!isObj(v.params)) fail('params: expected an object of parameter specs ({} for none)');
  if (!isObj(v.defaults)) fail('defaults: expected an object of default values ({} for none)');
  const params = v.params as Record<string, unknown>;
  const defaults = v.defaults as Record<string, unknown>;
  for (const [k, spec] of Object.entries(params)) {
    if (!isObj(spec)) fail(`params.${k}: expected a spec {type, description, ...}`);
    const s = spec as Record<string, unknown>;
    if (!PARAM_TYPES.includes(s.type as string)) fail(`params.${k}.type: got ${JSON.stringify(s.type)}, expected one of ${PARAM_TYPES.join(', ')}`);
    if (typeof s.description !== 'string') fail(`params.${k}.description: expected a string`);
    for (const b of ['min', 'max', 'gt'] as const) if (s[b] !== undefined && (typeof s[b] !== 'number' || !Number.isFinite(s[b]))) fail(`params.${k}.${b}: expected a finite number`);
    if (s.type === 'enum' && !(Array.isArray(s.values) && s.values.length > 0)) fail(`params.${k}.values: expected a non-empty list for an enum`);
    if (!(k in defaults)) fail(`defaults.${k}: missing (every parameter needs a default)`);
    try {
      checkParam(`defaults.${k}`, defaults[k], spec as unknown as ParamSpec);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  for (const k of Object.keys(defaults)) if (!(k in params)) fail(`defaults.${k}: no parameter spec of that name in params`);
  if (!isObj(v.capabilities)) fail('capabilities: expected an object of capability flags');
  const caps = v.capabilities as Record<string, unknown>;
  for (const c of CAPABILITIES) if (typeof caps[c] !== 'boolean') fail(`capabilities.${c}: expected true or false`);
  if (v.kind === 'gradient-aggregation' && !caps.paramMode && !caps.repMode) fail('capabilities: a gradient-aggregation method needs paramMode or repMode');
  if (v.referenceNames !== undefined && !(Array.isArray(v.referenceNames) && v.referenceNames.every((r) => typeof r === 'string'))) fail('referenceNames: expected a list of strings');
  const paper = v.paper ?? { title: v.displayName, venue: 'plugin', year: 0 };
  return { ...(v as unknown as MethodDefinition<ParamValues>), paper: paper as MethodDefinition['paper'], referenceNames: (v.referenceNames as string[] | undefined) ?? [] };
}

function finite(what: string, a: ArrayLike<number> | null | undefined, length?: number): void {
  if (a === null || a === undefined) return;
  if (length !== undefined && a.length !== length) fail(`${what}: length ${a.length}, expected ${length}`);
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) fail(`${what}[${i}] is ${a[i]} on the load-time probe (3 tasks, synthetic losses and gradients)`);
}

/** Create the method for 3 tasks with its defaults and run a few steps on synthetic inputs. */
export function probeMethod(def: MethodDefinition<ParamValues>): void {
  const n = 3;
  let m: MtlMethod;
  try {
    m = def.create(n, {});
  } catch (e) {
    if (e instanceof ExportProblem) throw e;
    return fail(`create(3, defaults) threw: ${(e as Error).message}`);
  }
  if (!isObj(m)) fail('create(3, defaults) did not return a method object');
  if (m.kind !== def.kind) fail(`create(3, defaults) returned a method of kind ${JSON.stringify(m.kind)}, expected ${def.kind}`);
  for (const f of ['getState', 'setState', 'learnable', 'setLearnable', def.kind === 'loss-weighting' ? 'weigh' : 'aggregate'] as const) {
    if (typeof (m as unknown as Record<string, unknown>)[f] !== 'function') fail(`the method object has no ${f}() function`);
  }
  if (typeof m.label !== 'string' || m.label.length === 0) fail('the method object has no label string');
  const rng = Rng.fromSeed(`plugin-probe:${def.id}`);
  const modes = def.kind === 'loss-weighting' ? ['param'] : [...(def.capabilities.paramMode && !def.capabilities.requiresRep ? ['param'] : []), ...(def.capabilities.repMode ? ['rep'] : [])];
  try {
    for (const mode of modes) {
      const method = def.create(n, {});
      const lossHistory: Float64Array[] = [];
      // One step per epoch, with the finished epochs' mean losses (DWA- and EGA-like methods read them).
      for (let step = 0; step < 3; step++) {
        const losses = Float64Array.from({ length: n }, () => 0.2 + 2 * rng.uniform());
        const input: StepInput = { epoch: step, losses, lossHistory, rng };
        if (method.kind === 'loss-weighting') {
          const r = method.weigh(input);
          if (!isObj(r)) fail('weigh() did not return {objective, coefficients, weights}');
          if (!Number.isFinite(r.objective)) fail(`weigh() returned objective ${r.objective} on the load-time probe (3 tasks, synthetic losses)`);
          finite('weigh().coefficients', r.coefficients, n);
          finite('weigh().weights', r.weights, n);
          method.afterStep?.(input, losses.map((l) => l * 0.9));
        } else {
          const batch = 2;
          const d = 6;
          const row = (len: number): Float64Array => Float64Array.from({ length: len }, () => rng.normal());
          const grads: TaskGradients =
            mode === 'param'
              ? { mode: 'param', G: Array.from({ length: n }, () => row(16)) }
              : (() => {
                  const perSample = Array.from({ length: n }, () => row(batch * d));
                  const G = perSample.map((R) => Float64Array.from({ length: d }, (_, f) => (R[f] as number) + (R[d + f] as number)));
                  return { mode: 'rep' as const, G, rep: { value: row(batch * d), perSample, batch } };
                })();
          const r = method.aggregate(input, grads);
          if (!isObj(r) || !r.grad) fail('aggregate() did not return {grad, coefficients, weights, headScale}');
          finite(`aggregate().grad (${mode} mode)`, r.grad);
          if (r.grad.length === 0) fail(`aggregate().grad (${mode} mode) is empty`);
          finite('aggregate().coefficients', r.coefficients, n);
          finite('aggregate().weights', r.weights, n);
          finite('aggregate().headScale', r.headScale, n);
        }
        lossHistory.push(Float64Array.from({ length: n }, () => 0.5 + rng.uniform()));
      }
      const state = method.getState();
      method.setState(JSON.parse(JSON.stringify(state)));
    }
  } catch (e) {
    if (e instanceof ExportProblem) throw e;
    const msg = e instanceof MtlBenchError ? `${e.name}: ${e.message}` : (e as Error).message;
    fail(`threw on the load-time probe (3 tasks, synthetic inputs): ${String(msg).split('\n')[0]}`);
  }
}
