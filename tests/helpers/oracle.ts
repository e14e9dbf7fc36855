/**
 * Reading the recorded reference vectors (`shared/oracle/vectors/*.json`, format in
 * `shared/oracle/README.md`), measuring a port's error the way that README defines it, and the
 * replay loop the method tests share.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { combine } from '../../optimizers/common.js';
import type { AggregationResult, InjectedDraws, LossWeightingResult, StepInput, TaskGradients } from '../../optimizers/types.js';
import type { Rng } from '../../src/rng.js';

export type OracleDtype = 'float32' | 'float64';

export interface OracleStep {
  readonly index: number;
  readonly epoch: number;
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  readonly driver_extras?: Record<string, unknown>;
}

export interface OracleCase {
  readonly id: string;
  readonly scenario: string;
  readonly description?: string;
  readonly seed?: number;
  readonly dtype: OracleDtype;
  readonly hyperparameters: Record<string, number | string | boolean>;
  readonly steps: OracleStep[];
  readonly raises?: { readonly step_index: number; readonly type: string; readonly message: string };
  readonly statistics?: Record<string, unknown>;
}

export interface OracleFile {
  readonly schema: string;
  readonly method: string;
  readonly libmtl_class: string;
  readonly mode: 'param_grad' | 'rep_grad';
  readonly default_hyperparameters: Record<string, number | string | boolean>;
  readonly n: number;
  readonly epoch_schedule: number[];
  readonly total_epochs: number;
  readonly m?: number;
  readonly param_layout?: unknown;
  /** `[begin, end)` slices for GradVac's group types: `0_whole_model`, `1_all_layer`, `2_all_matrix`. */
  readonly param_groups?: Record<string, [number, number][]>;
  readonly rep_shape?: [number, number];
  readonly loss_scale_sgd_lr?: number;
  readonly cases: OracleCase[];
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The vectors folder: `$MTL_ORACLE_DIR`, else `<repo>/shared/oracle/vectors`, else `<repo>/../shared/oracle/vectors`. */
export function oracleDir(): string {
  const candidates = [
    process.env.MTL_ORACLE_DIR,
    join(repoRoot, 'shared', 'oracle', 'vectors'),
    join(repoRoot, '..', 'shared', 'oracle', 'vectors'),
  ].filter((d): d is string => typeof d === 'string' && d.length > 0);
  const found = candidates.find((d) => existsSync(d));
  if (!found) throw new Error(`oracle vectors not found; looked in ${candidates.join(', ')} (set MTL_ORACLE_DIR)`);
  return found;
}

/** Parse `<name>.json` (e.g. `UW`, `Aligned_MTL_rep`); non-finite numbers stay as their strings until {@link toF64}. */
export function loadOracle(name: string): OracleFile {
  const file = join(oracleDir(), `${name}.json`);
  const data = JSON.parse(readFileSync(file, 'utf8')) as OracleFile;
  if (data.schema !== 'mtl-aggregator-oracle/1') throw new Error(`${file}: unexpected schema ${String(data.schema)}`);
  return data;
}

/** One JSON number, or the strings "NaN" / "Infinity" / "-Infinity". */
export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new Error(`oracle: expected a number, got ${JSON.stringify(v)}`);
}

/** Flatten a (nested, row-major) JSON array or a single number into a Float64Array. */
export function toF64(json: unknown): Float64Array {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else out.push(num(v));
  };
  walk(json);
  return Float64Array.from(out);
}

/** Rows of a 2-D JSON array (a 3-D array gives each row flattened, e.g. per-task B×d gradients). */
export function toRows(json: unknown): Float64Array[] {
  if (!Array.isArray(json)) throw new Error('oracle: expected an array of rows');
  return json.map((row) => toF64(row));
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) {
    const v = Math.abs(a[k] as number);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

/**
 * The README's error: max|got − want| / scale, scale = max|want| (float64 cases) or
 * max(max|want|, max|G|) (float32 cases, G = the step's input gradients). An all-zero scale gives
 * the absolute error. NaN where got and want disagree on being NaN; positions where both are NaN
 * (or the same infinity) count as equal.
 */
export function relErr(got: ArrayLike<number> | number, want: unknown, G: unknown, dtype: OracleDtype): number {
  const g = typeof got === 'number' ? Float64Array.of(got) : Float64Array.from(got);
  const w = toF64(want);
  if (g.length !== w.length) throw new Error(`relErr: got ${g.length} values, want ${w.length}`);
  let diff = 0;
  for (let k = 0; k < g.length; k++) {
    const a = g[k] as number;
    const b = w[k] as number;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!Number.isFinite(b) && a === b) continue;
    const d = Math.abs(a - b);
    if (Number.isNaN(d)) return NaN;
    diff = Math.max(diff, d);
  }
  let scale = maxAbs(w.filter((x) => Number.isFinite(x)));
  if (dtype === 'float32' && G !== undefined && G !== null) scale = Math.max(scale, maxAbs(toF64(G).filter((x) => Number.isFinite(x))));
  return scale > 0 ? diff / scale : diff;
}

/** The README's tolerance for a dtype: 1e-9 (float64) or 2e-4 (float32). */
export const tolerance = (dtype: OracleDtype): number => (dtype === 'float64' ? 1e-9 : 2e-4);

/**
 * `lossHistory` for a step from the recorded n × E `train_loss_buffer`: one Float64Array per
 * finished epoch e < epoch, lossHistory[e][i] = buffer[i][e].
 */
export function lossHistoryFromBuffer(buffer: unknown, epoch: number): Float64Array[] {
  const rows = toRows(buffer);
  const out: Float64Array[] = [];
  for (let e = 0; e < epoch; e++) out.push(Float64Array.from(rows, (r) => r[e] as number));
  return out;
}

/**
 * The worst error seen per key (e.g. `grad float64`), with where it occurred: tests assert each
 * value against {@link tolerance} and print {@link ErrorTally.summary} as a comment.
 */
export class ErrorTally {
  private readonly worst = new Map<string, { err: number; where: string }>();

  /** Record an error (NaN counts as infinitely bad); returns it. */
  add(key: string, err: number, where: string): number {
    const e = Number.isNaN(err) ? Infinity : err;
    const cur = this.worst.get(key);
    if (!cur || e > cur.err) this.worst.set(key, { err: e, where });
    return e;
  }

  get(key: string): number {
    return this.worst.get(key)?.err ?? 0;
  }

  summary(): string {
    return [...this.worst.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}: ${v.err.toExponential(2)} (${v.where})`)
      .join('; ');
  }
}

/**
 * The step's input: its epoch and losses, `lossHistory` from `train_loss_buffer` where the file
 * records one (DWA, STCH, EGA), else empty.
 */
export function oracleInput(step: OracleStep, rng: Rng, draws?: InjectedDraws): StepInput {
  const buffer = step.inputs.train_loss_buffer;
  return {
    epoch: step.epoch,
    losses: toF64(step.inputs.losses),
    lossHistory: buffer === undefined ? [] : lossHistoryFromBuffer(buffer, step.epoch),
    rng,
    ...(draws ? { draws } : {}),
  };
}

/**
 * Rep-mode task gradients from the representation (B×d, flattened) and the per-sample task
 * gradients (n rows of B×d, flattened): G_i is R_i summed over the batch.
 */
export function repGradients(rep: Float64Array, perSample: Float64Array[], batch: number): TaskGradients {
  const d = rep.length / batch;
  const G = perSample.map((R) => {
    const g = new Float64Array(d);
    for (let b = 0; b < batch; b++) for (let f = 0; f < d; f++) g[f] = (g[f] as number) + (R[b * d + f] as number);
    return g;
  });
  return { mode: 'rep', G, rep: { value: rep, perSample, batch } };
}

/** The step's task gradients: param files G as recorded; rep files via {@link repGradients} (n × B × d `rep_grads`). */
export function oracleGradients(file: OracleFile, step: OracleStep): TaskGradients {
  if (file.mode === 'param_grad') return { mode: 'param', G: toRows(step.inputs.G) };
  const R = step.inputs.rep_grads as unknown[][];
  return repGradients(toF64(step.inputs.rep), toRows(R), R[0]?.length ?? 0);
}

/**
 * The README's per-scenario tolerance for Aligned-MTL, EGA, IMTL and MGDA: float32 2e-4, float64
 * 1e-9 (1e-7 on `near_collinear`); null = ill-conditioned by construction, reported only.
 */
export function scenarioTolerance(c: OracleCase): number | null {
  if (c.scenario === 'near_collinear_tight') return null;
  if (c.dtype === 'float32') return c.scenario === 'near_collinear' || c.scenario === 'magnitude_gap' ? null : 2e-4;
  return c.scenario === 'near_collinear' ? 1e-7 : 1e-9;
}

/** The tolerance of one output field for a dtype; {@link tolerance} ignores the field. */
export type FieldTolerance = (dtype: OracleDtype, field: string) => number;

/** Record each error of a step under `<field> <dtype>` and fail the test for any above its tolerance. */
export function checkErrors(
  t: Test,
  tally: ErrorTally,
  where: string,
  dtype: OracleDtype,
  errs: Record<string, number>,
  tol: FieldTolerance = tolerance,
): void {
  for (const [field, err] of Object.entries(errs)) {
    const e = tally.add(`${field} ${dtype}`, err, where);
    const tl = tol(dtype, field);
    if (!(e <= tl)) t.fail(`${where} ${field}: error ${e} > ${tl}`);
  }
}

/** Assert, for each dtype and field, that the worst error recorded is within its tolerance. */
export function assertWorst(t: Test, tally: ErrorTally, fields: readonly string[], tol: FieldTolerance = tolerance): void {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const f of fields) t.ok(tally.get(`${f} ${dtype}`) <= tol(dtype, f), `${f} ${dtype} within ${tol(dtype, f)}`);
  }
}

/** `grad` (Σ c_i g_i against the recorded grad), `returned` and `objective` errors of a loss-weighting step. */
export function weighingErrors(
  r: LossWeightingResult,
  s: OracleStep,
  dtype: OracleDtype,
  objectiveG: unknown = s.inputs.G,
): { grad: number; returned: number; objective: number } {
  return {
    grad: relErr(combine(r.coefficients, toRows(s.inputs.G)), s.outputs.grad, s.inputs.G, dtype),
    returned: relErr(r.weights ?? [], s.outputs.returned, s.inputs.G, dtype),
    objective: relErr(r.objective, s.outputs.objective, objectiveG, dtype),
  };
}

/**
 * `grad` and `returned` errors of a param-mode aggregation step; with G also `coefficients`
 * (Σ α_i g_i against the recorded grad).
 */
export function aggregationErrors(r: AggregationResult, s: OracleStep, dtype: OracleDtype, G?: readonly Float64Array[]): Record<string, number> {
  return {
    grad: relErr(r.grad, s.outputs.grad, s.inputs.G, dtype),
    returned: relErr(r.weights ?? [], s.outputs.returned, s.inputs.G, dtype),
    ...(G ? { coefficients: relErr(combine(r.coefficients ?? [], G), s.outputs.grad, s.inputs.G, dtype) } : {}),
  };
}

export interface ReplaySpec<M> {
  /** Name in the summary comment (`<label> worst errors: …`); default the file name. */
  readonly label?: string;
  /** A fresh method (or whatever the steps of one case share) for a case. */
  create(c: OracleCase, file: OracleFile): M;
  /** Run one step (extra assertions may be made here) and return its errors by field. */
  step(m: M, s: OracleStep, c: OracleCase, where: string): Record<string, number>;
  /** Fields whose worst error is asserted at the end, for each dtype. */
  readonly fields: readonly string[];
  readonly tol?: FieldTolerance;
}

/**
 * Replay every case of `<name>.json` in order: each step's errors are recorded and checked against
 * the tolerance ({@link checkErrors}), the worst are printed and asserted ({@link assertWorst}).
 * Returns the number of steps replayed.
 */
export function replayOracle<M>(t: Test, name: string, spec: ReplaySpec<M>): number {
  const file = loadOracle(name);
  const tally = new ErrorTally();
  let steps = 0;
  for (const c of file.cases) {
    const m = spec.create(c, file);
    for (const s of c.steps) {
      const where = `${c.id} step ${s.index}`;
      checkErrors(t, tally, where, c.dtype, spec.step(m, s, c, where), spec.tol);
      steps++;
    }
  }
  t.comment(`${spec.label ?? name} worst errors: ${tally.summary()}`);
  assertWorst(t, tally, spec.fields, spec.tol);
  return steps;
}
