/**
 * Input of `mtl-bench deltam`: a JSON object
 *   {"metrics": [{"task", "name", "higherIsBetter", "floor"?}, ...], "baseline": [values],
 *    "rows": {"label": [values], ...}, "average": "per-task" | "per-metric"}
 * checked field by field (ConfigError naming the field, e.g. `rows["EW"][2]`), then Δm% of every
 * row against the baseline with src/metrics/deltam.ts, under the same floor rule as the tables: a
 * baseline ≤ 0 or below its metric's floor leaves that metric out, and the output says so.
 */
import { ConfigError } from '../src/errors.js';
import { deltaMInScope, deltaMScope, describeExclusion, DELTA_M_AVERAGING, screenBaseline, type DeltaMAveraging, type ExcludedMetric, type MetricDecl } from '../src/metrics/deltam.js';

export interface DeltaMInput {
  readonly metrics: readonly MetricDecl[];
  readonly baseline: readonly number[];
  readonly rows: readonly (readonly [string, readonly number[]])[];
  readonly average: DeltaMAveraging;
}

const KEYS = ['metrics', 'baseline', 'rows', 'average'];

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function vector(v: unknown, field: string, n: number): number[] {
  if (!Array.isArray(v)) throw new ConfigError(field, v, `a list of ${n} numbers (one per metric)`);
  if (v.length !== n) throw new ConfigError(field, `${v.length} values`, `${n} values (one per metric)`);
  return v.map((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new ConfigError(`${field}[${i}]`, x, 'a finite number');
    return x;
  });
}

export function parseDeltaMInput(raw: unknown): DeltaMInput {
  if (!isObj(raw)) throw new ConfigError('input', raw, 'a JSON object {metrics, baseline, rows, average}');
  for (const k of Object.keys(raw)) if (!KEYS.includes(k)) throw new ConfigError(k, raw[k], `no such field (allowed: ${KEYS.join(', ')})`);
  if (!Array.isArray(raw.metrics) || raw.metrics.length === 0) throw new ConfigError('metrics', raw.metrics, 'a non-empty list of {task, name, higherIsBetter}');
  const seen = new Set<string>();
  const metrics = raw.metrics.map((m, i): MetricDecl => {
    const f = `metrics[${i}]`;
    if (!isObj(m)) throw new ConfigError(f, m, 'an object {task, name, higherIsBetter}');
    for (const k of Object.keys(m)) if (!['task', 'name', 'higherIsBetter', 'unit', 'label', 'floor'].includes(k)) throw new ConfigError(`${f}.${k}`, m[k], 'no such field (allowed: task, name, higherIsBetter, unit, label, floor)');
    if (typeof m.task !== 'string' || m.task === '') throw new ConfigError(`${f}.task`, m.task, 'a non-empty string');
    if (typeof m.name !== 'string' || m.name === '') throw new ConfigError(`${f}.name`, m.name, 'a non-empty string');
    if (typeof m.higherIsBetter !== 'boolean') throw new ConfigError(`${f}.higherIsBetter`, m.higherIsBetter, 'true or false');
    const k = `${m.task}.${m.name}`;
    if (seen.has(k)) throw new ConfigError(`${f}`, k, 'each task.name declared once');
    seen.add(k);
    if (m.floor !== undefined && !(typeof m.floor === 'number' && Number.isFinite(m.floor) && m.floor >= 0)) throw new ConfigError(`${f}.floor`, m.floor, 'a finite number >= 0');
    return { task: m.task, name: m.name, higherIsBetter: m.higherIsBetter, ...(m.floor !== undefined ? { floor: m.floor as number } : {}) };
  });
  const baseline = vector(raw.baseline, 'baseline', metrics.length);
  if (!isObj(raw.rows) || Object.keys(raw.rows).length === 0) throw new ConfigError('rows', raw.rows, 'an object {"label": [values], ...} with at least one row');
  const rows = Object.entries(raw.rows).map(([label, v]) => [label, vector(v, `rows[${JSON.stringify(label)}]`, metrics.length)] as const);
  const average = raw.average === undefined ? 'per-task' : raw.average;
  if (typeof average !== 'string' || !(DELTA_M_AVERAGING as readonly string[]).includes(average)) throw new ConfigError('average', average, `one of ${DELTA_M_AVERAGING.map((a) => `"${a}"`).join(', ')}`);
  return { metrics, baseline, rows, average: average as DeltaMAveraging };
}

/**
 * Floors from `--floor` values: `task.name=VALUE` sets one metric's floor, a bare `VALUE` the floor
 * of every metric the input gives none. Later values win.
 */
export function applyFloors(input: DeltaMInput, specs: readonly string[]): DeltaMInput {
  let fallback: number | undefined;
  const byMetric = new Map<string, number>();
  for (const spec of specs) {
    const m = /^(?:(.+)=)?([^=]+)$/.exec(spec);
    const value = m ? Number(m[2]) : NaN;
    if (!m || m[2]!.trim() === '' || !Number.isFinite(value) || value < 0) throw new ConfigError('--floor', spec, 'task.name=VALUE or VALUE, with VALUE a finite number >= 0');
    if (m[1] === undefined) fallback = value;
    else {
      if (!input.metrics.some((d) => `${d.task}.${d.name}` === m[1])) throw new ConfigError('--floor', spec, `a metric of the input (${input.metrics.map((d) => `${d.task}.${d.name}`).join(', ')})`);
      byMetric.set(m[1]!, value);
    }
  }
  const metrics = input.metrics.map((d): MetricDecl => {
    const floor = byMetric.get(`${d.task}.${d.name}`) ?? d.floor ?? fallback;
    return floor === undefined ? d : { ...d, floor };
  });
  return { ...input, metrics };
}

/** What `deltam` prints: Δm% by label (null where nothing remains), the excluded metrics and the tasks averaged. */
export interface DeltaMOutput {
  readonly deltaM: Record<string, number | null>;
  readonly excluded: readonly (ExcludedMetric & { readonly why: string })[];
  readonly tasks: readonly string[];
  readonly note?: string;
}

/** Δm% (percent) of every row, by label, under the floor rule. */
export function deltaMOfRows(input: DeltaMInput): DeltaMOutput {
  const excluded = screenBaseline(input.metrics, [input.baseline]);
  const scope = deltaMScope(input.metrics, excluded);
  const tasks = [...new Set(scope.kept.map((i) => input.metrics[i]!.task))];
  const deltaM = Object.fromEntries(input.rows.map(([label, values]) => [label, deltaMInScope(input.metrics, scope, input.baseline, values, input.average)]));
  const note =
    scope.kept.length === 0
      ? 'Δm% unavailable: every metric is left out by the floor rule'
      : scope.droppedTasks.length
        ? `every metric of ${scope.droppedTasks.join(', ')} is left out: Δm% averages over ${tasks.join(', ')}`
        : undefined;
  return { deltaM, excluded: excluded.map((e) => ({ ...e, why: describeExclusion(e) })), tasks, ...(note ? { note } : {}) };
}
