/**
 * Replay of recorded reference vectors (schema `mtl-aggregator-oracle/1`, see the oracle README):
 * for each case a fresh method with the case's hyperparameters, steps in order, recorded random
 * draws injected, and every recorded output compared with the README's error definition
 * (max|got − want| / scale; scale = max|want| for float64 runs, max(max|want|, max|G|) for float32).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DataError, MtlBenchError } from './errors.js';
import { Rng } from './rng.js';
import { findMethod } from '../optimizers/index.js';
import { FLOAT32_EPS, FLOAT64_EPS, gram, dot } from '../optimizers/linalg.js';
import type {
  AggregationResult,
  InjectedDraws,
  JsonValue,
  LossWeightingResult,
  MethodDefinition,
  MtlMethod,
  ParamValues,
  StepInput,
  TaskGradients,
} from '../optimizers/types.js';

type Json = JsonValue;
type Obj = { [k: string]: Json };

export interface Comparison {
  readonly output: string;
  readonly error: number;
  readonly tolerance: number;
  /** Informative only (ill-conditioned by construction); does not fail the case. */
  readonly soft: boolean;
  readonly note?: string;
}

export interface CaseResult {
  readonly id: string;
  readonly status: 'pass' | 'fail' | 'soft';
  readonly maxError: number;
  readonly comparisons: readonly (Comparison & { readonly step: number })[];
  readonly failures: readonly string[];
  readonly notes: readonly string[];
  /** Computed outputs in the input's nesting. */
  readonly steps: readonly { index: number; outputs: Obj }[];
}

export interface FileResult {
  readonly file: string;
  readonly method: string;
  readonly registryId: string | null;
  readonly status: 'pass' | 'fail' | 'skipped';
  readonly reason?: string;
  readonly cases: readonly CaseResult[];
}

const SPECTRAL = new Set(['aligned-mtl', 'ega', 'imtl', 'mgda']);

/** Decode the oracle's number encoding ("NaN", "Infinity", "-Infinity" strings). */
export function num(v: Json | undefined): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new MtlBenchError(`expected a number, got ${JSON.stringify(v)}`);
}

export function flat(v: Json | undefined): Float64Array {
  const out: number[] = [];
  const walk = (x: Json | undefined): void => {
    if (Array.isArray(x)) for (const y of x) walk(y);
    else out.push(num(x));
  };
  walk(v);
  return Float64Array.from(out);
}

function rows(v: Json | undefined): Float64Array[] {
  if (!Array.isArray(v)) throw new MtlBenchError('expected a matrix');
  return v.map((r) => flat(r));
}

export function encodeNumbers(a: ArrayLike<number>): Json[] {
  return Array.from(a, (x) => (Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : x));
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i] as number)) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}

/** The README's relative error. Non-finite expectations: a finite answer of ours is sound (reported, not failed). */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>, dtype: string, inputScale: number): { error: number; wantNonFinite: boolean } {
  if (got.length !== want.length) return { error: Infinity, wantNonFinite: false };
  let wantNonFinite = false;
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number;
    const g = got[i] as number;
    if (!Number.isFinite(w)) {
      wantNonFinite = true;
      continue;
    }
    if (!Number.isFinite(g)) return { error: Infinity, wantNonFinite };
    diff = Math.max(diff, Math.abs(g - w));
  }
  const scale = Math.max(maxAbs(want), dtype === 'float32' ? inputScale : 0) || 1;
  return { error: diff / scale, wantNonFinite };
}

/** Map the recorded hyperparameters (reference argument names) onto the registry's parameters. */
export function mapHyperparameters(def: MethodDefinition<ParamValues>, hp: Obj, dtype: string, fileMethod: string): ParamValues {
  const out: Record<string, number | string | boolean> = {};
  for (const [refName, raw] of Object.entries(hp)) {
    const entry = Object.entries(def.params).find(([key, spec]) => spec.reference === refName || key === refName);
    if (!entry) throw new MtlBenchError(`${def.id}: recorded hyperparameter ${refName} has no matching parameter`);
    const [key, spec] = entry;
    let value = raw as number | string | boolean;
    if (spec.type === 'enum' && spec.values && !spec.values.includes(value as string | number) && typeof value === 'number') {
      value = spec.values[value] as string | number;
    }
    out[key] = value;
  }
  if ('rankEps' in def.params) out.rankEps = dtype === 'float64' ? FLOAT64_EPS : FLOAT32_EPS;
  if ('variant' in def.params && /^EGA/.test(fileMethod)) out.variant = 'reference-code';
  return out;
}

function draws(inputs: Obj): InjectedDraws | undefined {
  const rd = inputs.random_draws as Obj | undefined;
  if (!rd) return undefined;
  const d: { -readonly [K in keyof InjectedDraws]: InjectedDraws[K] } = {};
  if (rd.shuffle_orders) d.shuffleOrders = (rd.shuffle_orders as Json[]).map((o) => Array.from(flat(o)));
  if (rd.rand_like) d.uniform = flat(rd.rand_like);
  if (rd.randn) d.normal = flat(rd.randn);
  return d;
}

function lossHistory(buffer: Json | undefined, epoch: number): Float64Array[] {
  if (!Array.isArray(buffer)) return [];
  const B = rows(buffer);
  return Array.from({ length: epoch }, (_, e) => Float64Array.from(B, (r) => r[e] ?? 0));
}

/** Comparison tolerance for one output of one case. */
function tolerance(id: string, scenario: string, dtype: string, output: string): { tol: number; soft: boolean } {
  const spectral = SPECTRAL.has(id);
  if (spectral && (scenario === 'near_collinear_tight' || (dtype === 'float32' && (scenario === 'near_collinear' || scenario === 'magnitude_gap')))) {
    return { tol: 1e-2, soft: true };
  }
  if (dtype === 'float32') return { tol: output === 'state' && id === 'famo' ? 1e-3 : 2e-4, soft: false };
  if (id === 'famo' && output === 'state') return { tol: 1e-6, soft: false };
  if (spectral && scenario === 'near_collinear') return { tol: 1e-7, soft: false };
  if (spectral && scenario === 'magnitude_gap') return { tol: 1e-9, soft: false };
  return { tol: 1e-9, soft: false };
}

interface Ctx {
  readonly def: MethodDefinition<ParamValues>;
  readonly fileMethod: string;
  readonly mode: 'param_grad' | 'rep_grad';
  readonly groups: TaskGradients['groups'];
}

function runStep(method: MtlMethod, input: StepInput, grads: TaskGradients, mode: Ctx['mode']): { result: LossWeightingResult | AggregationResult; grad: Float64Array } {
  if (method.kind === 'loss-weighting') {
    const r = method.weigh(input);
    // Every parameter receives Σ c_i ∇L_i; in rep mode that is Σ c_i R_i.
    const src = mode === 'rep_grad' && grads.rep ? grads.rep.perSample : grads.G;
    const m = src[0]?.length ?? 0;
    const g = new Float64Array(m);
    src.forEach((row, i) => {
      const c = r.coefficients[i] as number;
      for (let k = 0; k < m; k++) g[k] += c * (row[k] as number);
    });
    return { result: r, grad: g };
  }
  const r = method.aggregate(input, grads);
  return { result: r, grad: r.grad };
}

function replayCase(ctx: Ctx, c: Obj, n: number, seed: number): CaseResult {
  const id = String(c.id);
  const scenario = String(c.scenario);
  const dtype = String(c.dtype);
  const failures: string[] = [];
  const notes: string[] = [];
  const comparisons: (Comparison & { step: number })[] = [];
  const outSteps: { index: number; outputs: Obj }[] = [];
  const params = mapHyperparameters(ctx.def, (c.hyperparameters ?? {}) as Obj, dtype, ctx.fileMethod);
  const method = ctx.def.create(n, params);
  const rng = Rng.fromSeed(`replay:${id}:${seed}`);

  if (c.statistics) return statisticalCase(c, method, id);

  const raises = c.raises as Obj | undefined;
  for (const s of (c.steps ?? []) as Obj[]) {
    const index = num(s.index);
    const inputs = s.inputs as Obj;
    const want = (s.outputs ?? {}) as Obj;
    const extras = (s.driver_extras ?? {}) as Obj;
    const epoch = num(s.epoch);
    const losses = flat(inputs.losses);
    let grads: TaskGradients;
    let inputScale: number;
    if (ctx.mode === 'rep_grad') {
      const R = (inputs.rep_grads as Json[]).map((r) => rows(r));
      const perSample = R.map((r) => flat(r.map((x) => Array.from(x))));
      const G = R.map((r) => {
        const d = r[0]?.length ?? 0;
        const g = new Float64Array(d);
        for (const row of r) for (let k = 0; k < d; k++) g[k] += row[k] as number;
        return g;
      });
      grads = { mode: 'rep', G, rep: { value: flat(inputs.rep), perSample, batch: R[0]?.length ?? 1 } };
      inputScale = Math.max(...perSample.map(maxAbs));
    } else {
      const G = rows(inputs.G);
      grads = { mode: 'param', G, ...(ctx.groups ? { groups: ctx.groups } : {}) };
      inputScale = Math.max(...G.map(maxAbs));
    }
    if (inputs.loss_scale !== undefined) method.setLearnable(flat(inputs.loss_scale));
    const dr = draws(inputs);
    const input: StepInput = { epoch, losses, lossHistory: lossHistory(inputs.train_loss_buffer, epoch), rng, ...(dr ? { draws: dr } : {}) };

    let computed: ReturnType<typeof runStep>;
    try {
      computed = runStep(method, input, grads, ctx.mode);
    } catch (e) {
      failures.push(`step ${index}: ${(e as Error).name}: ${(e as Error).message}`);
      break;
    }
    const { result, grad } = computed;
    if (method.kind === 'loss-weighting' && inputs.losses_next !== undefined) method.afterStep?.(input, flat(inputs.losses_next));

    const outputs: Obj = {};
    const gradKey = ctx.mode === 'rep_grad' ? 'rep_grad_out' : 'grad';
    outputs[gradKey] = encodeNumbers(grad);
    outputs.returned = result.weights ? encodeNumbers(result.weights) : null;
    if ('objective' in result) outputs.objective = encodeNumbers([result.objective])[0] as Json;
    if (result.learnableGrad) outputs.loss_scale_grad = encodeNumbers(result.learnableGrad);
    const ecc = result.diagnostics?.eccentricWeights;
    if (ecc !== undefined) outputs.eccentric_weights = ecc;
    const refState = method.referenceState?.();
    if (refState) outputs.state = refState;
    outSteps.push({ index, outputs });

    const cmp = (name: string, got: ArrayLike<number> | null | undefined, expected: Json | undefined, tolOverride?: number, note?: string): void => {
      if (expected === undefined || expected === null) return;
      const w = flat(expected);
      if (got === null || got === undefined) {
        failures.push(`step ${index}: ${name} not produced`);
        return;
      }
      const { error, wantNonFinite } = relError(got, w, dtype, inputScale);
      const { tol, soft } = tolerance(ctx.def.id, scenario, dtype, name.startsWith('state') ? 'state' : name);
      const t = tolOverride ?? tol;
      if (wantNonFinite) notes.push(`step ${index}: reference ${name} is non-finite; ours is ${Array.from(got).every(Number.isFinite) ? 'finite' : 'NOT finite'}`);
      comparisons.push({ step: index, output: name, error, tolerance: t, soft, ...(note ? { note } : {}) });
      if (!(error <= t) && !soft) failures.push(`step ${index}: ${name} error ${error.toExponential(2)} > ${t}`);
    };

    const wTight = extras.w_tight;
    if (wTight !== undefined) {
      // Solver-based weights: compare with the tightly converged optimum, not LibMTL's SLSQP stop.
      const w = result.weights ?? new Float64Array(n);
      const wt = flat(wTight);
      const dw = Math.max(...Array.from(w, (x, i) => Math.abs(x - (wt[i] as number))));
      const objOk = cagradObjectiveClose(grads.G, w, wt, num(((c.hyperparameters ?? {}) as Obj).calpha ?? 0.5));
      comparisons.push({ step: index, output: 'returned~w_tight', error: dw, tolerance: 1e-4, soft: false, ...(objOk ? { note: 'objective within 1e-6' } : {}) });
      if (!(dw <= 1e-4) && !objOk) failures.push(`step ${index}: solver weights differ from w_tight by ${dw.toExponential(2)}`);
      const solver = want.solver as Obj | undefined;
      const stalled = solver ? solver.success === false || maxDiff(flat(want.returned), wt) > 1e-3 : false;
      const recW = flat(want.returned);
      const replayed = method.kind === 'gradient-aggregation' ? recombine(method, input, grads, recW) : null;
      if (replayed) cmp(gradKey, replayed, want[gradKey], 1e-6, 'combination step from the recorded weights');
      else if (!stalled) cmp(gradKey, grad, want[gradKey], 1e-6);
      if (stalled) notes.push(`step ${index}: the reference solver stopped early (${solver?.message ?? 'far from the optimum'}); weights compared with w_tight`);
    } else if (ctx.def.id === 'fairgrad') {
      const w = result.weights ?? new Float64Array(n);
      const A = gram(grads.G);
      const alpha = num(((c.hyperparameters ?? {}) as Obj).FairGrad_alpha ?? 1);
      const res = Math.max(...A.map((row, i) => Math.abs(dot(row, w) - Math.pow(w[i] as number, -1 / alpha)) / Math.max(1, Math.abs(dot(row, w)))));
      comparisons.push({ step: index, output: 'residual(Aw - w^(-1/alpha))', error: res, tolerance: 1e-6, soft: false });
      if (!(res <= 1e-6)) failures.push(`step ${index}: FairGrad residual ${res.toExponential(2)}`);
      const replayed = recombine(method, input, grads, flat(want.returned));
      if (replayed) cmp(gradKey, replayed, want[gradKey], 1e-6, 'combination step from the recorded weights');
      else cmp(gradKey, grad, want[gradKey], 1e-6);
    } else {
      cmp(gradKey, grad, want[gradKey]);
      cmp('returned', result.weights, want.returned);
    }
    if ('objective' in result) cmp('objective', [result.objective], want.objective);
    cmp('loss_scale_grad', result.learnableGrad, want.loss_scale_grad);
    if (ecc !== undefined) cmp('eccentric_weights', Array.isArray(ecc) ? (ecc as number[]) : null, want.eccentric_weights);
    const wantState = want.state as Obj | undefined;
    if (wantState && refState) {
      for (const [k, v] of Object.entries(wantState)) {
        if (!(k in refState)) continue;
        const mine = refState[k];
        if (v === null || mine === null) {
          if (v !== mine) failures.push(`step ${index}: state.${k} is ${JSON.stringify(mine)}, reference ${JSON.stringify(v)}`);
          continue;
        }
        cmp(`state.${k}`, flat(mine), v);
      }
    }
    if (raises && num(raises.step_index) === index) break;
  }
  if (raises) {
    notes.push(`the reference raised ${String(raises.type)} at step ${String(raises.step_index)} (${String(raises.message)}); this port returned ${outSteps.every((s) => flat(s.outputs.grad ?? s.outputs.rep_grad_out).every(Number.isFinite)) ? 'finite updates' : 'NON-FINITE updates'}`);
    for (const s of outSteps) if (!flat(s.outputs.grad ?? s.outputs.rep_grad_out).every(Number.isFinite)) failures.push(`step ${s.index}: non-finite update where the reference raised`);
  }
  const hard = comparisons.filter((x) => !x.soft);
  const maxError = Math.max(0, ...hard.map((x) => (Number.isFinite(x.error) ? x.error : Infinity)));
  const status = failures.length ? 'fail' : comparisons.length && hard.length === 0 ? 'soft' : 'pass';
  return { id, status, maxError, comparisons, failures, notes, steps: outSteps };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** CAGrad's inner objective F(w) = wᵀAḡ + c·sqrt(wᵀAw + 1e-8) with A = G Gᵀ; true if ours is within 1e-6 relative of the optimum. */
function cagradObjectiveClose(G: readonly Float64Array[], w: ArrayLike<number>, wt: ArrayLike<number>, calpha: number): boolean {
  const A = gram(G);
  const n = G.length;
  let meanA = 0;
  for (const r of A) for (const x of r) meanA += x / (n * n);
  const c = calpha * Math.sqrt(meanA + 1e-8) + 1e-8;
  const f = (x: ArrayLike<number>): number => {
    let xAg = 0;
    let xAx = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const a = (A[i] as Float64Array)[j] as number;
      xAg += (x[i] as number) * a / n;
      xAx += (x[i] as number) * a * (x[j] as number);
    }
    return xAg + c * Math.sqrt(xAx + 1e-8);
  };
  const fo = f(w);
  const ft = f(wt);
  return fo <= ft + 1e-6 * Math.max(1, Math.abs(ft));
}

/** Methods with a solver may expose the combination step from given weights (for replay). */
function recombine(method: MtlMethod, input: StepInput, grads: TaskGradients, w: Float64Array): Float64Array | null {
  const m = method as MtlMethod & { combineWeights?: (input: StepInput, grads: TaskGradients, w: Float64Array) => Float64Array };
  return m.combineWeights ? m.combineWeights(input, grads, w) : null;
}

/** GradDrop's keep-rate property, with our own generator: the positive group is kept with probability P. */
function statisticalCase(c: Obj, method: MtlMethod, id: string): CaseResult {
  const st = c.statistics as Obj;
  const rep = rows(st.rep);
  const R = (st.rep_grads as Json[]).map((r) => rows(r));
  const P = flat(st.P);
  const sums = rows(st.signed_batch_sums);
  const n = R.length;
  const d = rep[0]?.length ?? 0;
  const batch = rep.length;
  const perSample = R.map((r) => flat(r.map((x) => Array.from(x))));
  const G = R.map((r) => Float64Array.from({ length: d }, (_, k) => r.reduce((s, row) => s + (row[k] as number), 0)));
  const grads: TaskGradients = { mode: 'rep', G, rep: { value: flat(rep.map((x) => Array.from(x))), perSample, batch } };
  const N = 10000;
  const rng = Rng.fromSeed(`replay:${id}`);
  const keptPos = new Float64Array(d);
  const failures: string[] = [];
  let mixtures = 0;
  for (let k = 0; k < N; k++) {
    const r = (method as Extract<MtlMethod, { kind: 'gradient-aggregation' }>).aggregate({ epoch: 0, losses: flat(st.losses), lossHistory: [], rng }, grads);
    for (let f = 0; f < d; f++) {
      // Decode the kept subset from the output of the first sample.
      const out = r.grad[f] as number;
      let pos = 0;
      let neg = 0;
      for (let i = 0; i < n; i++) {
        const v = (perSample[i] as Float64Array)[f] as number;
        const s = (sums[i] as Float64Array)[f] as number;
        if (s > 0) pos += v;
        else if (s < 0) neg += v;
      }
      if (Math.abs(out - pos) < 1e-9) keptPos[f]++;
      else if (Math.abs(out - neg) >= 1e-9) mixtures++;
    }
  }
  const comparisons: (Comparison & { step: number })[] = [];
  let maxZ = 0;
  for (let f = 0; f < d; f++) {
    const p = P[f] as number;
    const sd = Math.sqrt((p * (1 - p)) / N) || 1e-12;
    const z = Math.abs(keptPos[f]! / N - p) / sd;
    maxZ = Math.max(maxZ, z);
    comparisons.push({ step: -1, output: `keep-rate feature ${f} (|z|)`, error: z, tolerance: 4, soft: false });
    if (!(z <= 4)) failures.push(`feature ${f}: kept-positive frequency ${(keptPos[f]! / N).toFixed(4)} vs P ${p.toFixed(4)} (|z| ${z.toFixed(2)})`);
  }
  if (mixtures) failures.push(`${mixtures} outputs mixed positive and negative tasks`);
  return { id, status: failures.length ? 'fail' : 'pass', maxError: maxZ, comparisons, failures, notes: [`${N} draws; max |z| ${maxZ.toFixed(2)} (property check, own generator)`], steps: [] };
}

export function replayFile(file: string): FileResult {
  let doc: Obj;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Obj;
  } catch (e) {
    throw new DataError(file, `cannot read as JSON: ${(e as Error).message}`);
  }
  if (doc.schema !== 'mtl-aggregator-oracle/1') throw new DataError(file, `schema ${JSON.stringify(doc.schema)}, expected "mtl-aggregator-oracle/1"`);
  const fileMethod = String(doc.method ?? basename(file, '.json'));
  const def = findMethod(fileMethod) ?? findMethod(fileMethod.replace(/_(rep|radarODE)$/, ''));
  if (!def) return { file, method: fileMethod, registryId: null, status: 'skipped', reason: 'method not in the registry', cases: [] };
  const mode = doc.mode === 'rep_grad' ? 'rep_grad' : 'param_grad';
  const pg = doc.param_groups as Obj | undefined;
  const toSlices = (v: Json | undefined): [number, number][] => ((v ?? []) as Json[]).map((p) => [num((p as Json[])[0]), num((p as Json[])[1])]);
  const groups = pg ? { layer: toSlices(pg['1_all_layer']), tensor: toSlices(pg['2_all_matrix']) } : undefined;
  const ctx: Ctx = { def, fileMethod, mode, groups };
  const n = num(doc.n);
  const cases = ((doc.cases ?? []) as Obj[]).map((c, i) => replayCase(ctx, c, n, num(c.seed ?? i)));
  const status = cases.some((c) => c.status === 'fail') ? 'fail' : 'pass';
  return { file, method: fileMethod, registryId: def.id, status, cases };
}

/** The computed outputs in the input file's nesting (cases[].steps[].outputs). */
export function resultsDocument(r: FileResult): Obj {
  return {
    schema: 'mtl-aggregator-oracle/1',
    method: r.method,
    registry_id: r.registryId,
    status: r.status,
    cases: r.cases.map((c) => ({
      id: c.id,
      status: c.status,
      max_error: c.maxError,
      steps: c.steps.map((s) => ({ index: s.index, outputs: s.outputs })),
    })),
  };
}
