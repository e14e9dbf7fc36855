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
 */
import { ConfigError } from '../errors.js';

/** One column of a results table: its task, its name and its direction. */
export interface MetricDecl {
  readonly task: string;
  readonly name: string;
  readonly higherIsBetter: boolean;
}

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
