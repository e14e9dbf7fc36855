/**
 * Reading the recorded reference vectors (`shared/oracle/vectors/*.json`, format in
 * `shared/oracle/README.md`) and measuring a port's error the way that README defines it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
