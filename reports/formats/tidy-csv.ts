/**
 * The tidy (long) CSV of a record: ONE header line, then one row per run × metric × condition
 * with the run's identity beside each value, so `csv.DictReader` and `pandas.read_csv` take it
 * as it is. Per-seed Δm% rows carry metric `deltaM`, and per-seed differences from EW's Δm% (the
 * paired comparison) metric `deltaM_vs_EW`; a run that did not complete is one row with
 * its status and what happened, and no value. The metadata (Δm% specification, notes, filters)
 * goes to a sidecar JSON (`x.csv` → `x.json`), never into comment lines.
 */
import { stringify } from 'csv-stringify/sync';
import { neutralise } from './csv.js';
import { outcomeOf } from '../incomplete.js';
import type { Benchmark, ResultsModel } from '../results.js';
import type { RecordSnapshot, RunRecord } from '../source.js';
import { PAIRED_COLUMN_ID } from '../paired.js';
import type { Table } from '../table.js';

export const TIDY_COLUMNS = ['benchmark', 'label', 'method', 'params', 'seed', 'run_id', 'experiment', 'epochs', 'status', 'task', 'metric', 'direction', 'condition', 'value', 'note'] as const;

export type TidyRow = Record<(typeof TIDY_COLUMNS)[number], string | number>;

/** What each tidy column holds (written to the sidecar JSON). */
export const TIDY_COLUMN_DOCS: Record<(typeof TIDY_COLUMNS)[number], string> = {
  benchmark: 'task/preset (plus training noise, selection and epochs where a record holds several)',
  label: 'canonical method label, e.g. CAGrad(c=0.5, rescale=1) or STL(task)',
  method: "registry id ('single-task' for baselines)",
  params: 'hyperparameters as JSON',
  seed: 'random seed',
  run_id: 'runs.id in the SQLite record',
  experiment: 'experiment name',
  epochs: 'epochs the run was configured for',
  status: 'completed, errored, aborted, running or pending',
  task: "the MTL task the metric belongs to ('' for deltaM)",
  metric: "metric name, deltaM (Δm% of this run against the same seed's single-task baseline), or deltaM_vs_EW (this run's Δm% minus EW's at the same seed)",
  direction: "'higher' or 'lower' is better ('' unknown)",
  condition: 'evaluation condition (clean, snr-3dB, abrupt2s@-9dB, ...)',
  value: "the final test value of the selected epoch, in the metric's own unit (empty for runs that did not complete)",
  note: 'for runs that did not complete: what happened and in which epoch',
};

function benchmarkOf(r: RunRecord): string {
  return `${r.task}/${r.preset}|${r.trainNoise}|${r.selection}|${r.epochs}`;
}

function direction(b: Benchmark, task: string, metric: string): string {
  const c = [...b.columns, ...b.robustnessColumns].find((x) => x.task === task && x.name === metric);
  return c?.higherIsBetter == null ? '' : c.higherIsBetter ? 'higher' : 'lower';
}

/** The tidy rows of a model (its benchmarks, filtered like the model) and the snapshot it was built from. */
export function tidyRows(model: ResultsModel, snap: RecordSnapshot, opts: { condition?: string } = {}): TidyRow[] {
  const out: TidyRow[] = [];
  const byBenchmark = new Map<string, RunRecord[]>();
  for (const r of snap.runs) {
    const k = benchmarkOf(r);
    const g = byBenchmark.get(k);
    if (g) g.push(r);
    else byBenchmark.set(k, [r]);
  }
  const evals = new Map<number, typeof snap.evaluations>();
  for (const e of snap.evaluations) {
    const g = evals.get(e.runId);
    if (g) (g as (typeof e)[]).push(e);
    else evals.set(e.runId, [e]);
  }
  const keep = (c: string): boolean => opts.condition === undefined || opts.condition === 'all' || c === opts.condition;
  for (const b of model.benchmarks) {
    const runs = byBenchmark.get(b.key) ?? [];
    const used = new Set(b.runIds);
    const base = (r: RunRecord): Omit<TidyRow, 'task' | 'metric' | 'direction' | 'condition' | 'value' | 'note'> => ({
      benchmark: b.id,
      label: r.label,
      method: r.method,
      params: JSON.stringify(r.params),
      seed: r.seed,
      run_id: r.id,
      experiment: r.experiment ?? '',
      epochs: r.epochs,
      status: r.status,
    });
    for (const r of runs) {
      if (r.status !== 'completed') {
        const o = outcomeOf({ status: r.status, error: r.error, epochsDone: r.epochsDone, epochs: r.epochs });
        out.push({ ...base(r), task: '', metric: '', direction: '', condition: '', value: '', note: o.text });
        continue;
      }
      for (const e of evals.get(r.id) ?? []) {
        if (!keep(e.condition)) continue;
        out.push({ ...base(r), task: e.task, metric: e.metric, direction: direction(b, e.task, e.metric), condition: e.condition, value: e.value === null ? '' : e.value, note: '' });
      }
    }
    // Per-seed Δm% of the runs the tables are built from.
    const runOf = new Map(runs.filter((r) => used.has(r.id)).map((r) => [`${r.label}\u0000${r.seed}`, r]));
    for (const c of b.conditions) {
      if (!keep(c.condition)) continue;
      for (const row of c.rows) {
        if (row.kind === 'baseline' || !row.deltaM) continue;
        row.deltaM.values.forEach((v, i) => {
          const r = runOf.get(`${row.label}\u0000${row.deltaM!.seeds[i]}`);
          if (r) out.push({ ...base(r), task: '', metric: 'deltaM', direction: 'higher', condition: c.condition, value: v, note: '' });
        });
        row.pairedVsEW?.differences.forEach((v, i) => {
          const r = runOf.get(`${row.label}\u0000${row.pairedVsEW!.seeds[i]}`);
          if (r) out.push({ ...base(r), task: '', metric: PAIRED_COLUMN_ID, direction: 'higher', condition: c.condition, value: v, note: '' });
        });
      }
    }
  }
  return out;
}

/** The paired comparison of every row of a table that has one: n, mean, std, 95% interval, excludes 0. */
function pairedSummaries(t: Table): object[] {
  const j = t.columns.findIndex((c) => c.id === PAIRED_COLUMN_ID);
  if (j < 0) return [];
  return t.sections.flatMap((s) =>
    s.rows.flatMap((r) => {
      const c = r.cells[j]!;
      return c.n > 0 ? [{ label: r.label, n: c.n, of: c.of, mean: c.mean, std: c.std, ci95: c.ci95, excludesZero: c.ci95 ? c.flags.includes('paired-significant') : null }] : [];
    }),
  );
}

export function renderTidyCsv(rows: readonly TidyRow[]): string {
  return stringify(rows.map((r) => TIDY_COLUMNS.map((k) => neutralise(r[k] as string | number))), { header: true, columns: [...TIDY_COLUMNS] });
}

/** The sidecar metadata of a CSV export. */
export function csvSidecar(model: ResultsModel, tables: readonly Table[], opts: { layout: 'tidy' | 'wide'; filters: Record<string, string | undefined>; version: string }): object {
  return {
    generator: `mtl-bench ${opts.version} report table --format csv`,
    layout: opts.layout,
    record: model.file,
    schemaVersion: model.schemaVersion,
    generatedAt: model.generatedAt,
    filters: Object.fromEntries(Object.entries(opts.filters).filter(([, v]) => v !== undefined)),
    ...(opts.layout === 'tidy' ? { columns: TIDY_COLUMN_DOCS } : {}),
    tables: tables.map((t) => ({ title: t.title, deltaMSpecification: t.spec, notes: t.notes, ...(t.resolution ? { resolution: t.resolution, pairedVsEW: pairedSummaries(t) } : {}) })),
    notCompleted: model.incomplete.map((r) => ({ benchmark: r.benchmark, label: r.label, seed: r.seed, status: r.status, epochsDone: r.epochsDone, epochs: r.epochs, ...outcomeOf(r), error: r.error })),
  };
}
