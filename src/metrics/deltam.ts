/**
 * Δm%: the average relative improvement of a row of metrics over a baseline row, as a declared,
 * pure function. The metric directions, the baseline and the averaging are explicit inputs (no
 * silent epoch-0 baseline, as inside LibMTL's trainer), so a report can print them beside the table.
 *
 * Formula (LibMTL `count_improvement`, mtl-methods.md §4), for metric m of task t with baseline
 * B_{t,m} and value N_{t,m}:
 *   r_{t,m} = (N − B)/B if higher is better, (B − N)/B if lower is better;
 *   per-task:   Δm% = 100 · (1/T) Σ_t (1/M_t) Σ_m r_{t,m}   (LibMTL, radarODE-MTL Table II)
 *   per-metric: Δm% = 100 · (1/K) Σ_{t,m} r_{t,m}          (radarODE-MTL's long-term Δm, Tables III/V)
 * Tasks are taken in order of first appearance in the declarations. The relative change divides by
 * B as given (as LibMTL does); a negative baseline therefore flips the sign of its term.
 *
 * Floor rule (`screenBaseline`, `deltaMExcluding`): a term whose baseline is ≤ 0 (a relative
 * change against a non-positive value is meaningless) or whose magnitude is below the metric's
 * floor (a near-zero value makes the term explode) is excluded from Δm%; a task whose every
 * metric is excluded drops out of the per-task mean; if nothing remains, Δm% is undefined.
 */
import { ConfigError } from '../errors.js';

/** One column of a results table: its task, its name and its direction. */
export interface MetricDecl {
  readonly task: string;
  readonly name: string;
  readonly higherIsBetter: boolean;
  /**
   * Smallest baseline magnitude a relative change is meaningful against, in the metric's unit
   * (default {@link DEFAULT_METRIC_FLOOR}).
   */
  readonly floor?: number;
}

/** Floor of a metric that declares none: only values indistinguishable from zero are refused. */
export const DEFAULT_METRIC_FLOOR = 1e-6;

export const DELTA_M_AVERAGING = ['per-task', 'per-metric'] as const;
export type DeltaMAveraging = (typeof DELTA_M_AVERAGING)[number];

/** The declared inputs of Δm% in one serialisable object (printed with the table). */
export interface DeltaMSpec {
  readonly metrics: readonly MetricDecl[];
  readonly baseline: readonly number[];
  readonly averaging: DeltaMAveraging;
}

function metricLabel(d: MetricDecl): string {
  return `${d.task}.${d.name}`;
}

/**
 * The signed relative improvement r_{t,m} of each metric (a fraction, not a percentage), in the
 * order of `metrics`. Positive means better than the baseline.
 */
export function relativeImprovements(metrics: readonly MetricDecl[], baseline: ArrayLike<number>, values: ArrayLike<number>): Float64Array {
  if (metrics.length === 0) throw new ConfigError('deltaM: metrics', [], 'at least one metric declaration');
  if (baseline.length !== metrics.length) {
    throw new ConfigError('deltaM: baseline', `${baseline.length} values`, `one value per declared metric (${metrics.length})`);
  }
  if (values.length !== metrics.length) {
    throw new ConfigError('deltaM: values', `${values.length} values`, `one value per declared metric (${metrics.length})`);
  }
  const seen = new Set<string>();
  const out = new Float64Array(metrics.length);
  for (let i = 0; i < metrics.length; i++) {
    const d = metrics[i]!;
    const label = metricLabel(d);
    if (seen.has(label)) throw new ConfigError('deltaM: metrics', label, 'each task.metric declared once');
    seen.add(label);
    const b = baseline[i]!;
    const v = values[i]!;
    if (!Number.isFinite(b)) throw new ConfigError(`deltaM: baseline of ${label}`, b, 'a finite number');
    if (b === 0) throw new ConfigError(`deltaM: baseline of ${label}`, b, 'a non-zero baseline (Δm divides by it)');
    if (!Number.isFinite(v)) throw new ConfigError(`deltaM: value of ${label}`, v, 'a finite number');
    out[i] = d.higherIsBetter ? (v - b) / b : (b - v) / b;
  }
  return out;
}

/** Δm% of `values` against `baseline` (×100, as papers report). */
export function deltaM(
  metrics: readonly MetricDecl[],
  baseline: ArrayLike<number>,
  values: ArrayLike<number>,
  averaging: DeltaMAveraging = 'per-task',
): number {
  if (!(DELTA_M_AVERAGING as readonly string[]).includes(averaging)) {
    throw new ConfigError('deltaM: averaging', averaging, `one of ${DELTA_M_AVERAGING.join(', ')}`);
  }
  const r = relativeImprovements(metrics, baseline, values);
  if (averaging === 'per-metric') {
    let s = 0;
    for (const x of r) s += x;
    return (100 * s) / r.length;
  }
  const byTask = new Map<string, { sum: number; count: number }>();
  metrics.forEach((d, i) => {
    const acc = byTask.get(d.task) ?? { sum: 0, count: 0 };
    acc.sum += r[i]!;
    acc.count += 1;
    byTask.set(d.task, acc);
  });
  let s = 0;
  for (const { sum, count } of byTask.values()) s += sum / count;
  return (100 * s) / byTask.size;
}

/** Δm% with every input taken from one declared spec. */
export function deltaMFromSpec(spec: DeltaMSpec, values: ArrayLike<number>): number {
  return deltaM(spec.metrics, spec.baseline, values, spec.averaging);
}

export type ExclusionReason = 'non-positive' | 'below-floor' | 'not-finite';

/** A metric whose term is left out of Δm%, with the baseline value that made it so. */
export interface ExcludedMetric {
  readonly task: string;
  readonly name: string;
  readonly baseline: number;
  readonly floor: number;
  readonly reason: ExclusionReason;
}

export function floorOf(d: MetricDecl): number {
  return d.floor ?? DEFAULT_METRIC_FLOOR;
}

/** Why a baseline value cannot anchor a relative change, or null when it can. */
export function baselineProblem(d: MetricDecl, b: number): ExclusionReason | null {
  if (!Number.isFinite(b)) return 'not-finite';
  if (b <= 0) return 'non-positive';
  if (b < floorOf(d)) return 'below-floor';
  return null;
}

/** The metrics whose baseline fails the floor rule in any of the given baseline vectors (the first failing value is reported). */
export function screenBaseline(metrics: readonly MetricDecl[], baselines: readonly ArrayLike<number | null | undefined>[]): ExcludedMetric[] {
  const out: ExcludedMetric[] = [];
  metrics.forEach((d, i) => {
    for (const b of baselines) {
      const v = b[i];
      if (v === null || v === undefined) continue;
      const reason = baselineProblem(d, v);
      if (reason) {
        out.push({ task: d.task, name: d.name, baseline: v, floor: floorOf(d), reason });
        return;
      }
    }
  });
  return out;
}

/** One line on an excluded metric: `shape.pcc: baseline -0.0169 ≤ 0 (…)`. */
export function describeExclusion(e: ExcludedMetric): string {
  const v = Number(e.baseline.toPrecision(4));
  const why =
    e.reason === 'non-positive'
      ? `${v} ≤ 0, a relative change against a non-positive value is meaningless`
      : e.reason === 'below-floor'
        ? `|${v}| below the floor ${e.floor}`
        : `${v} is not a finite number`;
  return `${e.task}.${e.name} (baseline ${why})`;
}

/** What remains of Δm% once excluded metrics are left out. */
export interface DeltaMScope {
  /** Indices of the metrics that enter. */
  readonly kept: readonly number[];
  /** Tasks every metric of which is excluded (they drop out of the per-task mean). */
  readonly droppedTasks: readonly string[];
}

export function deltaMScope(metrics: readonly MetricDecl[], excluded: readonly Pick<ExcludedMetric, 'task' | 'name'>[]): DeltaMScope {
  const out = new Set(excluded.map((e) => `${e.task}.${e.name}`));
  const kept = metrics.map((_, i) => i).filter((i) => !out.has(metricLabel(metrics[i]!)));
  const tasks = [...new Set(metrics.map((d) => d.task))];
  const keptTasks = new Set(kept.map((i) => metrics[i]!.task));
  return { kept, droppedTasks: tasks.filter((t) => !keptTasks.has(t)) };
}

/** Δm% over the kept metrics of a scope only; null when no metric remains. */
export function deltaMInScope(
  metrics: readonly MetricDecl[],
  scope: DeltaMScope,
  baseline: ArrayLike<number>,
  values: ArrayLike<number>,
  averaging: DeltaMAveraging = 'per-task',
): number | null {
  if (scope.kept.length === 0) return null;
  const pick = <T>(xs: ArrayLike<T>): T[] => scope.kept.map((i) => xs[i]!);
  return deltaM(pick(metrics as ArrayLike<MetricDecl>), pick(baseline), pick(values), averaging);
}
