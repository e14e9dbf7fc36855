/**
 * Input of `mtl-bench deltam`: a JSON object
 *   {"metrics": [{"task", "name", "higherIsBetter"}, ...], "baseline": [values],
 *    "rows": {"label": [values], ...}, "average": "per-task" | "per-metric"}
 * checked field by field (ConfigError naming the field, e.g. `rows["EW"][2]`), then Δm% of every
 * row against the baseline with src/metrics/deltam.ts.
 */
import { ConfigError } from '../src/errors.js';
import { deltaM, DELTA_M_AVERAGING, type DeltaMAveraging, type MetricDecl } from '../src/metrics/deltam.js';

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

function vector(v: unknown, field: string, n: number, nonZero: boolean): number[] {
  if (!Array.isArray(v)) throw new ConfigError(field, v, `a list of ${n} numbers (one per metric)`);
  if (v.length !== n) throw new ConfigError(field, `${v.length} values`, `${n} values (one per metric)`);
  return v.map((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new ConfigError(`${field}[${i}]`, x, 'a finite number');
    if (nonZero && x === 0) throw new ConfigError(`${field}[${i}]`, x, 'a non-zero number (Δm% divides by the baseline)');
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
    for (const k of Object.keys(m)) if (!['task', 'name', 'higherIsBetter', 'unit', 'label'].includes(k)) throw new ConfigError(`${f}.${k}`, m[k], 'no such field (allowed: task, name, higherIsBetter, unit, label)');
    if (typeof m.task !== 'string' || m.task === '') throw new ConfigError(`${f}.task`, m.task, 'a non-empty string');
    if (typeof m.name !== 'string' || m.name === '') throw new ConfigError(`${f}.name`, m.name, 'a non-empty string');
    if (typeof m.higherIsBetter !== 'boolean') throw new ConfigError(`${f}.higherIsBetter`, m.higherIsBetter, 'true or false');
    const k = `${m.task}.${m.name}`;
    if (seen.has(k)) throw new ConfigError(`${f}`, k, 'each task.name declared once');
    seen.add(k);
    return { task: m.task, name: m.name, higherIsBetter: m.higherIsBetter };
  });
  const baseline = vector(raw.baseline, 'baseline', metrics.length, true);
  if (!isObj(raw.rows) || Object.keys(raw.rows).length === 0) throw new ConfigError('rows', raw.rows, 'an object {"label": [values], ...} with at least one row');
  const rows = Object.entries(raw.rows).map(([label, v]) => [label, vector(v, `rows[${JSON.stringify(label)}]`, metrics.length, false)] as const);
  const average = raw.average === undefined ? 'per-task' : raw.average;
  if (typeof average !== 'string' || !(DELTA_M_AVERAGING as readonly string[]).includes(average)) throw new ConfigError('average', average, `one of ${DELTA_M_AVERAGING.map((a) => `"${a}"`).join(', ')}`);
  return { metrics, baseline, rows, average: average as DeltaMAveraging };
}

/** Δm% (percent) of every row, by label. */
export function deltaMOfRows(input: DeltaMInput): Record<string, number> {
  return Object.fromEntries(input.rows.map(([label, values]) => [label, deltaM(input.metrics, input.baseline, values, input.average)]));
}
