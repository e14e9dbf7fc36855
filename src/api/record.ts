/** Reading an SQLite record (read-only, also while a sweep runs) and building the results tables of the reports. */
import { getFormat } from '../../reports/formats/index.js';
import { buildResults, type ResultsModel } from '../../reports/results.js';
import { readSnapshot, type RecordSnapshot } from '../../reports/source.js';
import { comparisonTable, type Table } from '../../reports/table.js';
import { DataError } from '../errors.js';
import type { DeltaMAveraging } from '../metrics/deltam.js';

export interface TableOptions {
  /** md (default), html, csv or latex. */
  readonly format?: string;
  /** Evaluation condition (default clean), or 'all'. */
  readonly condition?: string;
  readonly task?: string;
  readonly preset?: string;
  readonly averaging?: DeltaMAveraging;
  /** Show the paper's published rows beside the measured ones (default true). */
  readonly published?: boolean;
}

/** Every run, metric, weight and example of a record, read in one snapshot. */
export function openRecord(dbFile: string): RecordSnapshot {
  return readSnapshot(dbFile);
}

/** The results model of a record: per benchmark and condition, rows of mean ± std over seeds with Δm%. */
export function recordResults(dbFile: string, opts: Pick<TableOptions, 'task' | 'preset' | 'averaging'> = {}): ResultsModel {
  return buildResults(readSnapshot(dbFile), { ...(opts.averaging ? { averaging: opts.averaging } : {}), ...(opts.task ? { task: opts.task } : {}), ...(opts.preset ? { preset: opts.preset } : {}) });
}

/** The comparison tables of a record (as `mtl-bench report table` prints them). */
export function resultsTables(dbFile: string, opts: TableOptions = {}): Table[] {
  const model = recordResults(dbFile, opts);
  const condition = opts.condition ?? 'clean';
  const tables = model.benchmarks.flatMap((b) => b.conditions.filter((c) => condition === 'all' || c.condition === condition).map((c) => comparisonTable(b, c, { published: opts.published ?? true })));
  if (tables.length === 0) throw new DataError(dbFile, `no completed runs under condition ${condition}${opts.task ? ` for task ${opts.task}` : ''}`);
  return tables;
}

/** The comparison tables of a record rendered as text (Markdown by default). */
export function resultsTable(dbFile: string, opts: TableOptions = {}): string {
  return getFormat(opts.format ?? 'md').render(resultsTables(dbFile, opts));
}

export type { RecordSnapshot, ResultsModel, Table };
