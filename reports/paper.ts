/**
 * The published numbers of the radarODE-MTL slides (Table II: optimizers on radar-ECG; Table III:
 * optimizers on NYUv2; the SNR and abrupt-noise tables), transcribed as data in reports/paper/*.json
 * with their source (slide, line range of the text source) and the unit of every column. Reports
 * show them beside measured rows, labelled "published"; they are never mixed into measured statistics.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../src/errors.js';
import { packagePath } from '../src/paths.js';

export interface PublishedColumn {
  /** Task and metric name of the benchmark's declaration this column matches. */
  readonly task: string;
  readonly metric: string;
  /** Heading as printed. */
  readonly label: string;
  /** Unit of the numbers as printed ('%' for percentages). */
  readonly unit: string;
  readonly higherIsBetter: boolean;
  /** Multiplier from the printed unit to the metric's unit (0.01 for a percentage of a fraction). */
  readonly toMetricUnit: number;
}

export interface PublishedRow {
  readonly label: string;
  /** Registry id of the method ('single-task' for the baseline row), for method tables. */
  readonly method?: string;
  readonly params?: Readonly<Record<string, number | string | boolean>>;
  readonly group?: string;
  /** Framework (MMECG, radarODE, radarODE-MTL) and evaluation condition, for the noise tables. */
  readonly framework?: string;
  readonly condition?: string;
  /** Printed numbers in column order; null where the paper prints none ('-', failed). */
  readonly values: readonly (number | null)[];
  /** Δm% as published (percent). */
  readonly deltaM: number | null;
  readonly failed?: boolean;
}

export interface PublishedTable {
  readonly id: string;
  readonly caption: string;
  /** Task id of the benchmark the table belongs to. */
  readonly benchmark: string;
  /** 'methods': one row per optimizer (clean); 'conditions': rows per framework and noise condition. */
  readonly kind: 'methods' | 'conditions';
  readonly source: { readonly document: string; readonly file: string; readonly slide: string; readonly lines: readonly [number, number] };
  readonly notes: readonly string[];
  readonly deltaM: { readonly averaging: 'per-task' | 'per-metric'; readonly baseline: string };
  readonly columns: readonly PublishedColumn[];
  readonly rows: readonly PublishedRow[];
}

const DIR = packagePath('reports', 'paper');

let cache: PublishedTable[] | null = null;

function check(cond: boolean, file: string, what: string): void {
  if (!cond) throw new DataError(file, what);
}

/** Parse and check one published table (DataError naming the file and field). */
export function parsePublishedTable(raw: unknown, file: string): PublishedTable {
  check(typeof raw === 'object' && raw !== null, file, 'expected a JSON object');
  const t = raw as PublishedTable;
  for (const k of ['id', 'caption', 'benchmark'] as const) check(typeof t[k] === 'string', file, `${k}: expected a string`);
  check(t.kind === 'methods' || t.kind === 'conditions', file, 'kind: expected "methods" or "conditions"');
  check(Array.isArray(t.columns) && t.columns.length > 0, file, 'columns: expected a non-empty list');
  t.columns.forEach((c, i) => {
    check(typeof c.task === 'string' && typeof c.metric === 'string' && typeof c.label === 'string', file, `columns[${i}]: expected task, metric and label strings`);
    check(typeof c.higherIsBetter === 'boolean', file, `columns[${i}].higherIsBetter: expected true or false`);
    check(typeof c.toMetricUnit === 'number' && c.toMetricUnit > 0, file, `columns[${i}].toMetricUnit: expected a positive number`);
  });
  check(Array.isArray(t.rows) && t.rows.length > 0, file, 'rows: expected a non-empty list');
  t.rows.forEach((r, i) => {
    check(typeof r.label === 'string', file, `rows[${i}].label: expected a string`);
    check(Array.isArray(r.values) && r.values.length === t.columns.length, file, `rows[${i}].values: expected ${t.columns.length} values (one per column)`);
    r.values.forEach((v, j) => check(v === null || (typeof v === 'number' && Number.isFinite(v)), file, `rows[${i}].values[${j}]: expected a number or null`));
    check(r.deltaM === null || typeof r.deltaM === 'number', file, `rows[${i}].deltaM: expected a number or null`);
    if (t.kind === 'conditions') check(typeof r.condition === 'string' && typeof r.framework === 'string', file, `rows[${i}]: expected framework and condition`);
  });
  check(typeof t.source === 'object' && t.source !== null && typeof t.source.slide === 'string', file, 'source.slide: expected a string');
  return t;
}

/** Every published table shipped in reports/paper/. */
export function publishedTables(): readonly PublishedTable[] {
  if (cache) return cache;
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
  cache = files.map((f) => {
    const file = join(DIR, f);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new DataError(file, `not valid JSON: ${(e as Error).message}`);
    }
    return parsePublishedTable(raw, file);
  });
  return cache;
}

export function publishedTablesFor(task: string, kind: PublishedTable['kind']): PublishedTable[] {
  return publishedTables().filter((t) => t.benchmark === task && t.kind === kind);
}
