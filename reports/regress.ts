/**
 * Regression gate. `freezeBaseline` keeps, per benchmark, label, condition and metric, the mean,
 * sample std and n over seeds (plus the record's provenance); `compareToBaseline` checks a new
 * record against it with a tolerance per metric: k·std of the baseline where it has n ≥ 2 seeds
 * and a non-zero spread, else a relative tolerance of the baseline mean. Only a change in the bad
 * direction beyond the tolerance is a regression; a metric with unknown direction regresses on
 * any change beyond it. Rows of the baseline absent from the new record are reported as missing.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, DataError } from '../src/errors.js';
import type { Benchmark, ResultsModel, Summary } from './results.js';
import { formatFixed } from './table.js';

export const BASELINE_FORMAT = 'mtl-bench-baseline';
export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  /** Benchmark key (`task/preset|trainNoise|selection|epochs`). */
  readonly benchmark: string;
  readonly label: string;
  readonly condition: string;
  readonly task: string;
  readonly metric: string;
  readonly higherIsBetter: boolean | null;
  readonly mean: number;
  readonly std: number | null;
  readonly n: number;
  readonly seeds: readonly number[];
}

export interface BaselineFile {
  readonly format: typeof BASELINE_FORMAT;
  readonly version: number;
  readonly createdAt: string;
  readonly source: string;
  readonly provenance: Readonly<Record<string, Benchmark['provenance']>>;
  readonly entries: readonly BaselineEntry[];
}

function ownTaskOf(label: string): string | null {
  const m = /^STL\((.+)\)$/.exec(label);
  return m ? m[1]! : null;
}

/** The entries a record would freeze: method rows (every metric) and STL rows (their own task's metrics). */
export function baselineEntries(model: ResultsModel): BaselineEntry[] {
  const out: BaselineEntry[] = [];
  for (const b of model.benchmarks) {
    for (const c of b.conditions) {
      const rows = [...c.singleTask, ...c.rows.filter((r) => r.kind !== 'baseline')];
      for (const r of rows) {
        const own = r.kind === 'single-task' ? ownTaskOf(r.label) : null;
        r.metrics.forEach((s: Summary | null, j) => {
          const col = b.columns[j]!;
          if (!s || (own !== null && col.task !== own)) return;
          out.push({ benchmark: b.key, label: r.label, condition: c.condition, task: col.task, metric: col.name, higherIsBetter: col.higherIsBetter, mean: s.mean, std: s.std, n: s.n, seeds: s.seeds });
        });
      }
    }
  }
  return out;
}

export function freezeBaseline(model: ResultsModel, createdAt = new Date().toISOString()): BaselineFile {
  return {
    format: BASELINE_FORMAT,
    version: BASELINE_VERSION,
    createdAt,
    source: model.file,
    provenance: Object.fromEntries(model.benchmarks.map((b) => [b.key, b.provenance])),
    entries: baselineEntries(model),
  };
}

/** Read and check a baseline file; errors name the file and the field. */
export function loadBaseline(file: string): BaselineFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DataError(file, `cannot read a baseline: ${(e as Error).message}`);
  }
  const o = raw as Partial<BaselineFile>;
  if (typeof o !== 'object' || o === null || o.format !== BASELINE_FORMAT) throw new DataError(file, `format: expected "${BASELINE_FORMAT}" (made by 'mtl-bench baseline')`);
  if (o.version !== BASELINE_VERSION) throw new DataError(file, `version: got ${String(o.version)}, expected ${BASELINE_VERSION}`);
  if (!Array.isArray(o.entries)) throw new DataError(file, 'entries: expected a list');
  o.entries.forEach((e, i) => {
    for (const k of ['benchmark', 'label', 'condition', 'task', 'metric'] as const) if (typeof e[k] !== 'string') throw new DataError(file, `entries[${i}].${k}: expected a string`);
    if (typeof e.mean !== 'number' || !Number.isFinite(e.mean)) throw new DataError(file, `entries[${i}].mean: expected a finite number`);
    if (e.std !== null && (typeof e.std !== 'number' || !(e.std >= 0))) throw new DataError(file, `entries[${i}].std: expected a number >= 0 or null`);
    if (!Number.isInteger(e.n) || e.n < 1) throw new DataError(file, `entries[${i}].n: expected an integer >= 1`);
    if (e.higherIsBetter !== null && typeof e.higherIsBetter !== 'boolean') throw new DataError(file, `entries[${i}].higherIsBetter: expected true, false or null`);
  });
  return o as BaselineFile;
}

export interface RegressOptions {
  /** k of the k·std tolerance (default 3). */
  readonly sigmas?: number;
  /** Relative tolerance where the baseline has a single seed or no spread (default 0.05). */
  readonly relTol?: number;
}

export type ComparisonStatus = 'ok' | 'improved' | 'regressed' | 'missing';

export interface Comparison {
  readonly entry: BaselineEntry;
  readonly current: { readonly mean: number; readonly std: number | null; readonly n: number } | null;
  /** current − baseline (NaN when missing). */
  readonly change: number;
  readonly tolerance: number;
  readonly toleranceRule: string;
  readonly status: ComparisonStatus;
}

export interface RegressResult {
  readonly comparisons: readonly Comparison[];
  /** Rows in the new record that the baseline does not have (informational). */
  readonly added: readonly BaselineEntry[];
  readonly regressed: number;
  readonly improved: number;
  readonly missing: number;
  readonly ok: number;
  readonly sigmas: number;
  readonly relTol: number;
}

const keyOf = (e: Pick<BaselineEntry, 'benchmark' | 'label' | 'condition' | 'task' | 'metric'>): string => JSON.stringify([e.benchmark, e.label, e.condition, e.task, e.metric]);

export function toleranceFor(e: Pick<BaselineEntry, 'mean' | 'std' | 'n'>, sigmas: number, relTol: number): { tolerance: number; rule: string } {
  if (e.n >= 2 && e.std !== null && e.std > 0) return { tolerance: sigmas * e.std, rule: `${sigmas}σ` };
  return { tolerance: relTol * Math.abs(e.mean), rule: `${formatFixed(relTol * 100, 1)}% rel` };
}

export function compareToBaseline(base: BaselineFile, model: ResultsModel, opts: RegressOptions = {}): RegressResult {
  const sigmas = opts.sigmas ?? 3;
  const relTol = opts.relTol ?? 0.05;
  if (!(Number.isFinite(sigmas) && sigmas >= 0)) throw new ConfigError('--tolerance-sigmas', sigmas, 'a number >= 0');
  if (!(Number.isFinite(relTol) && relTol >= 0)) throw new ConfigError('--rel-tol', relTol, 'a number >= 0');
  const current = new Map(baselineEntries(model).map((e) => [keyOf(e), e]));
  const baseKeys = new Set(base.entries.map(keyOf));
  const comparisons = base.entries.map((entry): Comparison => {
    const { tolerance, rule } = toleranceFor(entry, sigmas, relTol);
    const cur = current.get(keyOf(entry));
    if (!cur) return { entry, current: null, change: NaN, tolerance, toleranceRule: rule, status: 'missing' };
    const change = cur.mean - entry.mean;
    const worse = entry.higherIsBetter === null ? Math.abs(change) : entry.higherIsBetter ? -change : change;
    const status: ComparisonStatus = worse > tolerance ? 'regressed' : -worse > tolerance ? 'improved' : 'ok';
    return { entry, current: { mean: cur.mean, std: cur.std, n: cur.n }, change, tolerance, toleranceRule: rule, status };
  });
  const count = (s: ComparisonStatus): number => comparisons.filter((c) => c.status === s).length;
  return {
    comparisons,
    added: [...current.values()].filter((e) => !baseKeys.has(keyOf(e))),
    regressed: count('regressed'),
    improved: count('improved'),
    missing: count('missing'),
    ok: count('ok'),
    sigmas,
    relTol,
  };
}

/** The gate's verdict: fails on any regression, and on missing rows unless they are allowed. */
export function gateFails(r: Pick<RegressResult, 'regressed' | 'missing'>, allowMissing = false): boolean {
  return r.regressed > 0 || (r.missing > 0 && !allowMissing);
}

function num(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : Number(v.toPrecision(4)).toString();
}

function stat(s: { mean: number; std: number | null; n: number }): string {
  return `${num(s.mean)}${s.std !== null ? ` ± ${num(s.std)}` : ''} (n=${s.n})`;
}

/** A plain-text table of what moved (or everything with `all`), then the verdict. */
export function renderRegress(r: RegressResult, opts: { all?: boolean } = {}): string {
  const order: Record<ComparisonStatus, number> = { regressed: 0, missing: 1, improved: 2, ok: 3 };
  const shown = r.comparisons.filter((c) => opts.all || c.status !== 'ok').sort((a, b) => order[a.status] - order[b.status]);
  const head = ['status', 'benchmark', 'condition', 'label', 'metric', 'baseline', 'new', 'change', 'tolerance'];
  const rows = shown.map((c) => {
    const e = c.entry;
    const arrow = e.higherIsBetter === null ? '' : e.higherIsBetter ? ' ↑' : ' ↓';
    return [
      c.status.toUpperCase(),
      e.benchmark.split('|')[0]!,
      e.condition,
      e.label,
      `${e.task}.${e.metric}${arrow}`,
      stat(e),
      c.current ? stat(c.current) : 'missing',
      c.current ? `${c.change >= 0 ? '+' : ''}${num(c.change)}` : '',
      `${num(c.tolerance)} (${c.toleranceRule})`,
    ];
  });
  const lines: string[] = [];
  if (rows.length) {
    const widths = head.map((h, j) => Math.max(h.length, ...rows.map((row) => [...row[j]!].length)));
    const fmtRow = (row: string[]): string => row.map((c, j) => c + ' '.repeat(widths[j]! - [...c].length)).join('  ').trimEnd();
    lines.push(fmtRow(head), fmtRow(widths.map((w) => '-'.repeat(w))), ...rows.map(fmtRow));
  }
  if (r.added.length) lines.push('', `${r.added.length} row(s) in the new record are not in the baseline (not checked): ${[...new Set(r.added.map((a) => `${a.label} [${a.condition}]`))].slice(0, 12).join(', ')}${r.added.length > 12 ? ', …' : ''}`);
  lines.push(
    '',
    `${r.comparisons.length} metrics compared: ${r.regressed} regressed, ${r.missing} missing, ${r.improved} improved, ${r.ok} within tolerance ` +
      `(tolerance: ${r.sigmas}·std of the baseline where n ≥ 2, else ${formatFixed(r.relTol * 100, 1)}% of its mean; only changes in the bad direction count as regressions).`,
  );
  return `${lines.join('\n')}\n`;
}
