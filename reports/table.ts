/**
 * One table model in the paper's layout, rendered by every output format (reports/formats/):
 * one row per optimizer, the single-task baseline first, loss balancing then gradient balancing
 * methods, metric columns grouped by task with direction arrows, Δm% last; best and second best of
 * each column marked among the measured methods; mean ± sample std where several seeds. The Δm%
 * specification (directions, baseline, averaging, pairing, the floor rule and what it excluded)
 * travels with the table as `spec`.
 *
 * Cell marks beyond best/second: `n=k/N` when a cell averages k of its row's N seeds (such a
 * cell is never ranked), † where a trained row does not beat the best trivial predictor, ‡ on Δm%
 * cells whose condition left metrics out by the floor rule; each is explained in `spec`.
 */
import { DEFAULT_METRIC_FLOOR, describeExclusion, type DeltaMAveraging, type ExcludedMetric } from '../src/metrics/deltam.js';
import { incompleteFootnote, outcomeOf, type OutcomeInfo } from './incomplete.js';
import { PAIRED_COLUMN_ID, pairedCell, pairedMetricNote, pairedSpecLine, resolutionOf, seedsLine, type TableResolution } from './paired.js';
import { publishedTablesFor, type PublishedTable } from './paper.js';
import type { Benchmark, ConditionResults, IncompleteRun, MetricColumn, RowKind, Summary } from './results.js';

export type Mark = 'best' | 'second' | null;

/** Why a cell is flagged: it averages fewer seeds than its row has, it does not beat the best trivial row, or its Δm% leaves metrics out. */
export type CellFlag = 'partial' | 'not-beating-trivial' | 'deltam-excluded' | 'paired-significant';

/** Symbols of the flags in text formats. */
export const FLAG_SYMBOLS = { 'not-beating-trivial': '†', 'deltam-excluded': '‡', 'paired-significant': '*' } as const;

export { PAIRED_COLUMN_ID, type TableResolution } from './paired.js';

export interface TableCell {
  /** Raw values in the metric's own unit (the CSV writes these). */
  readonly mean: number | null;
  readonly std: number | null;
  readonly n: number;
  /** Seeds of the row (N); a cell with n < of averages only some of them. 0 for published rows. */
  readonly of: number;
  readonly ci95: readonly [number, number] | null;
  /** Display text (mean ± std, scaled for display, fixed decimals per column; flag symbols and `(n=k/N)` appended). */
  readonly text: string;
  readonly mark: Mark;
  readonly flags: readonly CellFlag[];
  /** A one-line explanation of the flags (HTML tooltips). */
  readonly note?: string;
}

export interface TableColumn {
  /** `task.metric`, or `deltaM`. */
  readonly id: string;
  readonly task: string;
  readonly name: string;
  /** Heading without the arrow, e.g. `RMSE (mV)`. */
  readonly header: string;
  readonly arrow: '↑' | '↓' | '';
  readonly higherIsBetter: boolean | null;
  /** Display multiplier (100 for a `fraction` unit shown in %). */
  readonly displayScale: number;
  /** False for a column never marked best/second (the paired comparison with EW). */
  readonly ranked?: boolean;
}

export type TableRowKind = RowKind | 'published' | 'condition' | 'incomplete';

export interface TableRow {
  readonly label: string;
  readonly kind: TableRowKind;
  readonly published: boolean;
  /** Number of seeds (0 for published rows). */
  readonly seeds: number;
  readonly cells: readonly TableCell[];
  /** For a run that did not complete: what happened and in which epoch. */
  readonly outcome?: OutcomeInfo & { readonly seed: number; readonly error: string | null };
}

export interface TableSection {
  readonly title: string | null;
  readonly rows: readonly TableRow[];
}

export interface Table {
  readonly title: string;
  /** Group headings over the metric columns (the tasks), then Δm% alone. */
  readonly groups: readonly { readonly title: string; readonly span: number }[];
  readonly columns: readonly TableColumn[];
  readonly sections: readonly TableSection[];
  /** The Δm% specification and marking rule, printed with every table. */
  readonly spec: readonly string[];
  readonly notes: readonly string[];
  /** The resolution line under a comparison table (null where Δm% is unavailable, and for the noise tables). */
  readonly resolution?: TableResolution | null;
}

const SECTION_TITLES: Record<RowKind, string | null> = {
  baseline: null,
  trivial: 'Trivial predictors',
  'single-task': 'Single-task runs',
  'loss-weighting': 'Loss balancing methods',
  'gradient-aggregation': 'Gradient balancing methods',
  other: 'Other methods',
};

export function columnHeader(c: Pick<MetricColumn, 'label' | 'unit'>): string {
  if (!c.unit || c.label.includes('(')) return c.label;
  return `${c.label} (${c.unit === 'fraction' ? '%' : c.unit})`;
}

function displayScale(c: Pick<MetricColumn, 'unit'>): number {
  return c.unit === 'fraction' ? 100 : 1;
}

function metricColumns(columns: readonly MetricColumn[]): TableColumn[] {
  return columns.map((c) => ({
    id: `${c.task}.${c.name}`,
    task: c.task,
    name: c.name,
    header: columnHeader(c),
    arrow: c.higherIsBetter === null ? '' : c.higherIsBetter ? '↑' : '↓',
    higherIsBetter: c.higherIsBetter,
    displayScale: displayScale(c),
  }));
}

function deltaColumn(header = 'Δm%'): TableColumn {
  return { id: 'deltaM', task: '', name: 'deltaM', header, arrow: '↑', higherIsBetter: true, displayScale: 1 };
}

function pairedColumn(reference: string): TableColumn {
  return { id: PAIRED_COLUMN_ID, task: '', name: PAIRED_COLUMN_ID, header: `Δm% − ${reference}`, arrow: '↑', higherIsBetter: true, displayScale: 1, ranked: false };
}

/** Decimals for a column from the magnitude of its (display-scaled) values: about 3 significant digits. */
export function columnDecimals(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).map(Math.abs);
  if (finite.length === 0) return 2;
  const max = Math.max(...finite);
  if (max === 0) return 2;
  if (max >= 100) return 1;
  if (max >= 10) return 2;
  if (max >= 1) return 3;
  return Math.min(6, 2 - Math.floor(Math.log10(max)));
}

export function formatFixed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

interface RawCell {
  mean: number | null;
  std: number | null;
  n: number;
  ci95: readonly [number, number] | null;
  text?: string;
  /** The text already says everything (its seed count and flags): nothing is appended. */
  final?: boolean;
  flags?: CellFlag[];
  note?: string;
}

function fromSummary(s: Summary | null): RawCell {
  if (!s) return { mean: null, std: null, n: 0, ci95: null };
  return { mean: s.mean, std: s.std, n: s.n, ci95: s.ci95 ? [s.ci95.lower, s.ci95.upper] : null };
}

interface RawRow {
  label: string;
  kind: TableRowKind;
  published: boolean;
  seeds: number;
  cells: RawCell[];
  section: string | null;
  outcome?: TableRow['outcome'];
}

/**
 * Turn raw rows into a table: fixed decimals per column, mean ± std text, marks (best, second)
 * per column among the rows `markable` accepts.
 */
function finish(title: string, groups: Table['groups'], columns: TableColumn[], rows: RawRow[], spec: string[], notes: string[], markable: (r: RawRow) => boolean, resolution: TableResolution | null = null): Table {
  const decimals = columns.map((c, j) => (c.task === '' ? 2 : columnDecimals(rows.map((r) => (r.cells[j]?.mean ?? NaN) * c.displayScale))));
  const marks: Mark[][] = rows.map((r) => r.cells.map(() => null));
  // A cell averaging fewer seeds than its row has is never ranked.
  const complete = (r: RawRow, j: number): boolean => (r.cells[j]?.n ?? 0) >= r.seeds;
  columns.forEach((c, j) => {
    if (c.higherIsBetter === null || c.ranked === false) return;
    const cands = rows.map((r, i) => ({ i, v: r.cells[j]?.mean ?? null })).filter((x): x is { i: number; v: number } => markable(rows[x.i]!) && complete(rows[x.i]!, j) && x.v !== null && Number.isFinite(x.v));
    if (cands.length < 2) return;
    const distinctVals = [...new Set(cands.map((x) => x.v))].sort((a, b) => (c.higherIsBetter ? b - a : a - b));
    for (const x of cands) {
      if (x.v === distinctVals[0]) marks[x.i]![j] = 'best';
      else if (cands.length >= 3 && x.v === distinctVals[1]) marks[x.i]![j] = 'second';
    }
  });
  const sections: { title: string | null; rows: TableRow[] }[] = [];
  rows.forEach((r, i) => {
    const cells = r.cells.map((cell, j): TableCell => {
      const col = columns[j]!;
      const d = decimals[j]!;
      let text = cell.text ?? '—';
      if (cell.text === undefined && cell.mean !== null) {
        text = formatFixed(cell.mean * col.displayScale, d);
        if (cell.std !== null && cell.n >= 2) text += ` ± ${formatFixed(cell.std * col.displayScale, d)}`;
      }
      const flags = [...(cell.flags ?? [])];
      if (cell.final) return { mean: cell.mean, std: cell.std, n: cell.n, of: r.seeds, ci95: cell.ci95, text, mark: null, flags, ...(cell.note ? { note: cell.note } : {}) };
      for (const f of ['not-beating-trivial', 'deltam-excluded'] as const) if (flags.includes(f) && cell.mean !== null) text += FLAG_SYMBOLS[f];
      if (!r.published && cell.n < r.seeds) {
        flags.push('partial');
        text += ` (n=${cell.n}/${r.seeds})`;
      }
      const notes = [...(cell.note ? [cell.note] : []), ...(flags.includes('partial') ? [`averages ${cell.n} of ${r.seeds} seeds: the others are undefined`] : [])];
      return { mean: cell.mean, std: cell.std, n: cell.n, of: r.seeds, ci95: cell.ci95, text, mark: marks[i]![j] ?? null, flags, ...(notes.length ? { note: notes.join('; ') } : {}) };
    });
    const row: TableRow = { label: r.label, kind: r.kind, published: r.published, seeds: r.seeds, cells, ...(r.outcome ? { outcome: r.outcome } : {}) };
    const last = sections[sections.length - 1];
    if (last && last.title === r.section) last.rows.push(row);
    else sections.push({ title: r.section, rows: [row] });
  });
  return { title, groups, columns, sections, spec, notes, resolution };
}

function taskGroups(columns: readonly TableColumn[]): { title: string; span: number }[] {
  const groups: { title: string; span: number }[] = [];
  for (const c of columns) {
    const title = c.task;
    const last = groups[groups.length - 1];
    // Δm% and the paired comparison stand alone; metric columns group by task.
    if (last && last.title === title && title !== '') last.span++;
    else groups.push({ title, span: 1 });
  }
  return groups;
}

function formulaLine(averaging: DeltaMAveraging): string {
  const f = averaging === 'per-task' ? 'Δm% = 100 · (1/T) Σ_t (1/M_t) Σ_m r_{t,m} (averaged per task, then over the T tasks)' : 'Δm% = 100 · (1/K) Σ_{t,m} r_{t,m} (one flat mean over the K metrics)';
  return `${f}, with r = (N − B)/B for ↑ metrics and (B − N)/B for ↓ metrics (N: the row, B: the baseline).`;
}

export function formatVector(values: readonly (number | null)[]): string {
  return `[${values.map((v) => (v === null ? '—' : Number(v.toPrecision(6)).toString())).join(', ')}]`;
}

export const INCOMPLETE_SECTION = 'Did not complete (not averaged)';

/** One row per run that did not complete: label, seed, what happened and in which epoch; no values. */
function incompleteRows(runs: readonly IncompleteRun[], ncols: number): RawRow[] {
  return runs.map((r) => {
    const o = outcomeOf(r);
    return {
      label: `${r.label}, seed ${r.seed}: ${o.text} †`,
      kind: 'incomplete' as const,
      published: false,
      seeds: 0,
      cells: Array.from({ length: ncols }, (): RawCell => ({ mean: null, std: null, n: 0, ci95: null })),
      section: INCOMPLETE_SECTION,
      outcome: { ...o, seed: r.seed, error: r.error },
    };
  });
}

export interface ComparisonTableOptions {
  /** Show the published rows of the matching paper table (default true). */
  readonly published?: boolean;
}

/** The optimizer comparison of one benchmark in one condition (Table II / III layout). */
export function comparisonTable(b: Benchmark, cond: ConditionResults, opts: ComparisonTableOptions = {}): Table {
  const dm = cond.deltaM;
  const reference = dm.available ? cond.resolution.reference : null;
  const metricCols = metricColumns(b.columns);
  const columns = [...metricCols, deltaColumn(), ...(reference !== null ? [pairedColumn(reference)] : [])];
  const rows: RawRow[] = cond.rows.map((r) => ({
    label: r.label,
    kind: r.kind,
    published: false,
    seeds: r.seeds.length,
    cells: [
      ...r.metrics.map((s, j) => {
        const c = fromSummary(s);
        const t = cond.trivialBest[j];
        const vsEw = reference !== null ? pairedMetricNote(r.pairedMetricsVsEW?.[j] ?? null, reference, metricCols[j]!.displayScale) : null;
        const notes = [...(r.notBeatingTrivial?.[j] && t ? [`does not beat ${t.label} (${Number(t.mean.toPrecision(4))})`] : []), ...(vsEw ? [vsEw] : [])];
        return { ...c, ...(r.notBeatingTrivial?.[j] && t ? { flags: ['not-beating-trivial' as const] } : {}), ...(notes.length ? { note: notes.join('; ') } : {}) };
      }),
      dm.excluded.length ? { ...fromSummary(r.deltaM), flags: ['deltam-excluded' as const], note: `Δm% without ${dm.excluded.map((e) => `${e.task}.${e.name}`).join(', ')} (floor rule)` } : fromSummary(r.deltaM),
      ...(reference !== null ? [pairedCell(r, cond)] : []),
    ],
    section: SECTION_TITLES[r.kind],
  }));
  rows.push(...incompleteRows(b.incomplete, columns.length));
  const notes = [...b.notes, ...incompleteFootnote(b.incomplete)];
  const published = opts.published === false || cond.condition !== 'clean' ? [] : publishedTablesFor(b.task, 'methods');
  for (const p of published) rows.push(...publishedRows(p, b.columns, null, reference !== null ? 1 : 0));
  const spec = [
    formulaLine(dm.averaging),
    `Directions: ${b.columns.map((c) => `${c.task}.${c.name} ${c.higherIsBetter === null ? '(unknown)' : c.higherIsBetter ? '↑' : '↓'}`).join(', ')}${b.columns.some((c) => c.inferred) ? ' (inferred from the metric names)' : ''}.`,
    `Baseline B: ${dm.baselineLabel}${dm.available ? ` = ${formatVector(dm.baseline)} (mean over seeds, in the metrics' own units)` : ''}.`,
    floorLine(b.columns),
    ...excludedLines(dm.excluded, dm.droppedTasks, b.taskNames, 'Δm%'),
    `${dm.available ? `${dm.note} (a seed lacking any metric that enters has none)` : `Δm%: ${dm.note}`}; cells are mean ± sample std over seeds, — where no seed has a value (95% Student-t intervals in the CSV and the HTML tooltips).`,
    'Marks: bold = best, underlined = second best in each column among the measured methods (baseline, trivial and published rows, and cells missing seeds, not ranked).',
  ];
  const seeds = dm.available ? seedsLine(rows) : null;
  if (seeds) spec.push(seeds);
  if (reference !== null) spec.push(pairedSpecLine(reference));
  if (published.length) spec.push(`Published rows: numbers as printed in ${published.map((p) => p.caption).join('; ')}, converted to the metrics' units; their Δm% is the published one (against the published baseline).`);
  const trivial = trivialLine(columns, cond);
  if (trivial) spec.push(trivial);
  const partial = partialLine(rows);
  if (partial) spec.push(partial);
  return finish(`${b.taskDisplayName} (${b.id}), condition ${cond.condition}`, taskGroups(columns), columns, rows, spec, notes, (r) => !r.published && r.kind !== 'baseline' && r.kind !== 'single-task' && r.kind !== 'trivial' && r.kind !== 'incomplete', dm.available ? resolutionOf(cond) : null);
}

/** The floor rule, with each metric's floor. */
function floorLine(columns: readonly MetricColumn[]): string {
  return `Floor rule: a metric enters Δm% only if its baseline is > 0 and at least its floor in every seed (a relative change against a non-positive or near-zero value is meaningless); floors: ${columns.map((c) => `${c.task}.${c.name} ${c.floor ?? DEFAULT_METRIC_FLOOR}`).join(', ')} (in the metrics' own units).`;
}

/** The ‡ footnote: what the floor rule left out, and what that did to the averaging. */
function excludedLines(excluded: readonly ExcludedMetric[], dropped: readonly string[], taskNames: readonly string[], what: string): string[] {
  if (excluded.length === 0) return [];
  const lines = [`${FLAG_SYMBOLS['deltam-excluded']} ${what} here leaves out ${excluded.map(describeExclusion).join('; ')}.`];
  if (dropped.length) {
    const rest = taskNames.filter((t) => !dropped.includes(t));
    lines.push(`Every metric of task${dropped.length > 1 ? 's' : ''} ${dropped.join(', ')} is left out: ${what} averages over the remaining task${rest.length === 1 ? '' : 's'}${rest.length ? ` (${rest.join(', ')})` : ''}.`);
  }
  return lines;
}

/** The † footnote: the best trivial value of every column that has one, when some cell is flagged. */
function trivialLine(columns: readonly TableColumn[], cond: ConditionResults): string | null {
  if (!cond.rows.some((r) => r.notBeatingTrivial?.some(Boolean))) return null;
  const best = cond.trivialBest
    .map((t, j) => (t ? `${columns[j]!.header} ${Number((t.mean * columns[j]!.displayScale).toPrecision(4))} (${t.label})` : null))
    .filter((x): x is string => x !== null);
  return `${FLAG_SYMBOLS['not-beating-trivial']} the mean does not beat the best trivial predictor on this metric (a trivial row uses no input: the training split's mean, prior or constant); best trivial: ${best.join(', ')}.`;
}

/** The n=k/N footnote, when some cell averages fewer seeds than its row has. */
function partialLine(rows: readonly RawRow[]): string | null {
  if (!rows.some((r) => !r.published && r.cells.some((c) => (c.final ? c.flags?.includes('partial') : c.n < r.seeds)))) return null;
  return 'n=k/N: the cell averages k of the row’s N seeds; in the others the value is undefined (NULL or NaN, e.g. too few matched beats) or, for Δm%, a metric that enters is (for Δm% − EW, the row’s or EW’s Δm% is); these count as failures and are never marked best or second.';
}

/** Rows of a published table, columns matched to the benchmark's by task and metric name. */
function publishedRows(p: PublishedTable, columns: readonly MetricColumn[], conditions: readonly string[] | null, extra = 0): RawRow[] {
  const index = columns.map((c) => p.columns.findIndex((pc) => pc.task === c.task && pc.metric === c.name));
  const section = `Published: ${p.caption}`;
  return p.rows
    .filter((r) => conditions === null || (r.condition !== undefined && conditions.includes(r.condition)))
    .map((r) => ({
      label: `${r.label} [published]`,
      kind: 'published' as const,
      published: true,
      seeds: 0,
      section: r.framework ? `${section}: ${r.framework}` : section,
      cells: [
        ...index.map((k, j): RawCell => {
          const v = k >= 0 ? r.values[k] : null;
          if (v === null || v === undefined) return { mean: null, std: null, n: 0, ci95: null, ...(r.failed && k >= 0 ? { text: 'failed' } : {}) };
          const value = v * (p.columns[k]!.toMetricUnit ?? 1);
          // Printed precision, not the column's: the paper's digits are the data.
          const shown = Number((value * displayScale(columns[j]!)).toPrecision(10));
          return { mean: value, std: null, n: 1, ci95: null, text: String(shown) };
        }),
        r.deltaM === null ? { mean: null, std: null, n: 0, ci95: null, ...(r.failed ? { text: 'failed' } : {}) } : { mean: r.deltaM, std: null, n: 1, ci95: null, text: formatFixed(r.deltaM, 2) },
        // Columns after Δm% (the paired comparison): nothing from a published table.
        ...Array.from({ length: extra }, (): RawCell => ({ mean: null, std: null, n: 0, ci95: null })),
      ],
    }));
}

/**
 * The noise tables' layout: one block per method, one row per evaluation condition, Δm% of each
 * condition against the same method's clean result (seed-matched).
 */
export function robustnessTable(b: Benchmark, opts: ComparisonTableOptions & { readonly labels?: readonly string[] } = {}): Table {
  const columns = [...metricColumns(b.robustnessColumns), deltaColumn('Δm% vs clean')];
  const rows: RawRow[] = [];
  for (const e of b.robustness) {
    if (opts.labels && !opts.labels.includes(e.label)) continue;
    for (const c of e.conditions) {
      const d = fromSummary(c.deltaM);
      rows.push({
        label: c.condition === 'clean' ? 'clean (baseline)' : c.condition,
        kind: 'condition',
        published: false,
        seeds: c.seeds,
        cells: [...c.metrics.map(fromSummary), e.excluded.length ? { ...d, flags: ['deltam-excluded'], note: `Δm% without ${e.excluded.map((x) => `${x.task}.${x.name}`).join(', ')} (floor rule)` } : d],
        section: e.label,
      });
    }
  }
  rows.push(...incompleteRows(b.incomplete, columns.length));
  const conditions = [...new Set(b.robustness.flatMap((e) => e.conditions.map((c) => c.condition)))];
  const published = opts.published === false ? [] : publishedTablesFor(b.task, 'conditions');
  const usedPublished = published.filter(
    (p) => p.rows.some((r) => r.condition !== 'clean' && r.condition !== undefined && conditions.includes(r.condition)) && p.columns.some((pc) => b.robustnessColumns.some((c) => c.task === pc.task && c.name === pc.metric)),
  );
  for (const p of usedPublished) rows.push(...publishedRows(p, b.robustnessColumns, conditions));
  const spec = [
    formulaLine(b.robustnessAveraging),
    `Directions: ${b.robustnessColumns.map((c) => `${c.task}.${c.name} ${c.higherIsBetter === null ? '(unknown)' : c.higherIsBetter ? '↑' : '↓'}`).join(', ')}.`,
    'Baseline B: the same method’s clean result, seed by seed (as the paper’s noise tables: each framework against its own baseline); only metrics present in both enter. Single-task runs are not listed.',
    floorLine(b.robustnessColumns),
    ...b.robustness.filter((e) => e.excluded.length && (!opts.labels || opts.labels.includes(e.label))).flatMap((e) => excludedLines(e.excluded, [], [], `Δm% vs clean of ${e.label}`)),
    'Cells are mean ± sample std over seeds. No marks (rows of different methods are not ranked here).',
  ];
  if (usedPublished.length) spec.push(`Published rows: ${usedPublished.map((p) => p.caption).join('; ')}, as printed (converted to the metrics' units), for the conditions measured here.`);
  const partial = partialLine(rows);
  if (partial) spec.push(partial);
  return finish(`${b.taskDisplayName} (${b.id}): metrics under noise`, taskGroups(columns), columns, rows, spec, [...b.notes, ...incompleteFootnote(b.incomplete)], () => false);
}

/** Row labels (for tests and text output). */
export function tableLabels(t: Table): string[] {
  return t.sections.flatMap((s) => s.rows.map((r) => r.label));
}
