/**
 * The results model of a record: what every table, plot, HTML report and regression gate reads.
 *
 * Completed runs are grouped into benchmarks (task, preset, training noise, selection, epochs); in
 * each benchmark and evaluation condition, one row per label (the canonical method label; EGA one
 * row per T) holds, per declared metric, the mean, sample std, n and Student-t 95% interval over
 * seeds. The single-task baseline row is composed from the `STL(task)` runs, each contributing
 * its own task's metrics. Δm% (src/metrics/deltam.ts) is computed per seed against the
 * seed-matched baseline (the same seed's STL runs) or, where that seed has no complete baseline,
 * against the mean baseline, and summarised like a metric. Runs that are not completed are listed
 * separately, never averaged in.
 *
 * Every summary keeps its n beside the row's seed count: a seed whose metric is undefined (NULL,
 * NaN) is a failure the tables show as n=k/N, never a dropped seed. A baseline metric that fails
 * the floor rule (≤ 0 or below its floor in any seed) is excluded from every row's Δm% in the
 * condition and listed in `deltaM.excluded`. Trivial-predictor rows (method `trivial`) are rows
 * like any other; `trivialBest` and each row's `notBeatingTrivial` say where a trained row does
 * not beat them.
 */
import { deltaMInScope, deltaMScope, describeExclusion, screenBaseline, type DeltaMAveraging, type ExcludedMetric, type MetricDecl } from '../src/metrics/deltam.js';
import { median, pairedComparison, type PairedComparison } from '../src/metrics/paired.js';
import { confidenceInterval, mean, sampleStd } from '../src/metrics/stats.js';
import { columnsFor, type MetricColumn, tryTask } from './columns.js';
import { noiseTableColumns } from './labels.js';
import { compareConditions, compareRows, rowKind, type RowKind } from './ordering.js';
import type { EvaluationRecord, RecordSnapshot, RunRecord, RunStatus } from './source.js';
import { bestTrivial, notBeatingTrivial, TRIVIAL_METHOD, type TrivialBest } from './trivial.js';

export { inferDirection, type MetricColumn } from './columns.js';
export { compareConditions, compareRows, rowKind, type RowKind } from './ordering.js';
export type { ExcludedMetric } from '../src/metrics/deltam.js';
export type { PairedComparison } from '../src/metrics/paired.js';
export type { TrivialBest } from './trivial.js';

/** Summary of one quantity over seeds. */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1); null for a single seed. */
  readonly std: number | null;
  /** Two-sided Student-t 95% interval of the mean; null for a single seed. */
  readonly ci95: { readonly lower: number; readonly upper: number; readonly halfWidth: number } | null;
  readonly values: readonly number[];
  readonly seeds: readonly number[];
}

export type DeltaMPairing = 'seed-matched' | 'mean-baseline' | 'mixed';

export interface ResultRow {
  readonly label: string;
  readonly kind: RowKind;
  /** Registry id ('single-task' for baselines, '' for the composed baseline row). */
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly seeds: readonly number[];
  /** Aligned with the benchmark's columns; null where no seed has a value. */
  readonly metrics: readonly (Summary | null)[];
  readonly deltaM: Summary | null;
  readonly deltaMPairing: DeltaMPairing | null;
  /** For the composed baseline: the STL labels it is made of. */
  readonly components?: readonly string[];
  /** Per column: the mean does not beat the best trivial row's (always false for trivial rows). */
  readonly notBeatingTrivial?: readonly boolean[];
  /**
   * Paired comparison of this row's per-seed Δm% with EW's over the seeds both have (trained
   * methods other than EW only; the baseline, single-task and trivial rows never get one).
   */
  readonly pairedVsEW?: PairedComparison;
  /** The same per metric (aligned with the columns; null where this row or EW has no value). */
  readonly pairedMetricsVsEW?: readonly (PairedComparison | null)[];
}

/** What a paired comparison against EW can resolve in one condition (the table's resolution line). */
export interface Resolution {
  /** EW's row label; null when the condition has no EW row with a Δm%. */
  readonly reference: string | null;
  /** EW's Δm% over seeds (its std is the seed spread). */
  readonly referenceDeltaM: Summary | null;
  /** Methods compared with EW over ≥ 2 shared seeds. */
  readonly compared: number;
  /** Median over those methods of the 95% paired interval's half-width (pp); null when none. */
  readonly detectable: number | null;
  /** Shared-seed counts of those comparisons (distinct, ascending). */
  readonly pairedSeeds: readonly number[];
}

/** How Δm% was computed in one condition (printed with every table). */
export interface DeltaMInfo {
  readonly averaging: DeltaMAveraging;
  /** Mean baseline over seeds, aligned with the columns (null entries: missing). */
  readonly baseline: readonly (number | null)[];
  readonly baselineLabel: string;
  readonly available: boolean;
  /** Why Δm% is missing, or how it was paired. */
  readonly note: string;
  /** Metrics left out of Δm% by the floor rule (baseline ≤ 0 or below the metric's floor in some seed). */
  readonly excluded: readonly ExcludedMetric[];
  /** Tasks every metric of which is excluded: Δm% averages over the remaining tasks. */
  readonly droppedTasks: readonly string[];
}

export interface ConditionResults {
  readonly condition: string;
  /** The composed baseline row first (when any STL run exists), then the methods in table order. */
  readonly rows: readonly ResultRow[];
  /** The single-task runs themselves (every metric they were evaluated on). */
  readonly singleTask: readonly ResultRow[];
  readonly deltaM: DeltaMInfo;
  /** Per column: the best trivial-predictor mean (null without trivial rows). */
  readonly trivialBest: readonly (TrivialBest | null)[];
  readonly resolution: Resolution;
}

/** One label across evaluation conditions, Δm% against its own clean result (the noise tables). */
export interface RobustnessEntry {
  readonly label: string;
  readonly kind: RowKind;
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly conditions: readonly { readonly condition: string; readonly metrics: readonly (Summary | null)[]; readonly deltaM: Summary | null; readonly seeds: number }[];
  /** Metrics left out of this entry's Δm% vs clean by the floor rule. */
  readonly excluded: readonly ExcludedMetric[];
}

export interface IncompleteRun {
  readonly benchmark: string;
  readonly key: string;
  readonly label: string;
  readonly seed: number;
  readonly status: RunStatus;
  readonly epochsDone: number;
  readonly epochs: number;
  readonly error: string | null;
}

export interface Provenance {
  readonly gitCommits: readonly string[];
  readonly packageVersions: readonly string[];
  readonly nodeVersions: readonly string[];
  readonly backends: readonly string[];
  readonly datasetFingerprints: readonly string[];
  readonly datasets: readonly string[];
  readonly experiments: readonly string[];
  readonly seeds: readonly number[];
  readonly firstStarted: string | null;
  readonly lastEnded: string | null;
}

export interface Benchmark {
  /** Stable identity across records: `task/preset|trainNoise|selection|epochs` (baseline files use it). */
  readonly key: string;
  /** `task/preset` plus the training noise, selection and epochs when they are not the only ones. */
  readonly id: string;
  readonly task: string;
  readonly taskDisplayName: string;
  readonly taskNames: readonly string[];
  readonly preset: string;
  readonly trainNoise: string;
  readonly selection: string;
  readonly epochs: number;
  readonly columns: readonly MetricColumn[];
  readonly conditions: readonly ConditionResults[];
  readonly robustness: readonly RobustnessEntry[];
  /** Columns of the robustness entries: the task's dedicated noise-table metrics if recorded (radar-ECG: long-term), else `columns`. */
  readonly robustnessColumns: readonly MetricColumn[];
  readonly robustnessAveraging: DeltaMAveraging;
  readonly statusCounts: Readonly<Record<RunStatus, number>>;
  readonly incomplete: readonly IncompleteRun[];
  readonly provenance: Provenance;
  readonly notes: readonly string[];
  /** Run ids of the completed runs the rows are built from (one per label and seed). */
  readonly runIds: readonly number[];
}

export interface ResultsModel {
  readonly file: string;
  readonly schemaVersion: number;
  readonly generatedAt: string;
  readonly benchmarks: readonly Benchmark[];
  readonly statusCounts: Readonly<Record<RunStatus, number>>;
  readonly incomplete: readonly IncompleteRun[];
}

export interface ResultsOptions {
  /** Δm% averaging of the comparison tables (default per-task, as LibMTL and Table II). */
  readonly averaging?: DeltaMAveraging;
  /** Δm% averaging of the noise (robustness) tables (default per-metric, as the paper's noise tables). */
  readonly robustnessAveraging?: DeltaMAveraging;
  /** Only benchmarks of this task id / preset. */
  readonly task?: string;
  readonly preset?: string;
  readonly generatedAt?: string;
}

/** Summary of values over seeds (sample std and Student-t 95% CI where n ≥ 2). */
export function summarize(values: readonly number[], seeds: readonly number[]): Summary {
  const n = values.length;
  if (n >= 2) {
    const ci = confidenceInterval(values);
    return { n, mean: ci.mean, std: sampleStd(values), ci95: { lower: ci.lower, upper: ci.upper, halfWidth: ci.halfWidth }, values, seeds };
  }
  return { n, mean: mean(values), std: null, ci95: null, values, seeds };
}

function distinct<T>(xs: readonly (T | null | undefined)[]): T[] {
  return [...new Set(xs.filter((x): x is T => x !== null && x !== undefined))];
}

function emptyCounts(): Record<RunStatus, number> {
  return { completed: 0, running: 0, pending: 0, aborted: 0, errored: 0 };
}

function firstLine(s: string | null): string | null {
  if (s === null) return null;
  const l = s.split('\n')[0] ?? '';
  return l.length > 300 ? `${l.slice(0, 297)}...` : l;
}

function benchmarkKey(r: RunRecord): string {
  return JSON.stringify([r.task, r.preset, r.trainNoise, r.selection, r.epochs]);
}

/** Values of one run under one condition: `task/metric` → value (finite only). */
type ValueMap = Map<string, number>;

/** Build the results model from a snapshot of a record. */
export function buildResults(snap: RecordSnapshot, opts: ResultsOptions = {}): ResultsModel {
  const averaging = opts.averaging ?? 'per-task';
  const robustnessAveraging = opts.robustnessAveraging ?? 'per-metric';
  const runs = snap.runs.filter((r) => (opts.task === undefined || r.task === opts.task) && (opts.preset === undefined || r.preset === opts.preset));
  // A run evaluated in a condition has a (possibly empty) map there even when every value is NULL:
  // its seed counts, its undefined metrics show as failures.
  const values = new Map<number, Map<string, ValueMap>>();
  for (const e of snap.evaluations) {
    let byCond = values.get(e.runId);
    if (!byCond) values.set(e.runId, (byCond = new Map()));
    let m = byCond.get(e.condition);
    if (!m) byCond.set(e.condition, (m = new Map()));
    if (e.value === null || !Number.isFinite(e.value)) continue;
    m.set(`${e.task}/${e.metric}`, e.value);
  }
  const groups = new Map<string, RunRecord[]>();
  const add = (k: string, r: RunRecord): void => {
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  };
  const trivial = runs.filter((r) => r.method === TRIVIAL_METHOD);
  for (const r of runs) if (r.method !== TRIVIAL_METHOD) add(benchmarkKey(r), r);
  // Trivial predictors train nothing: those recorded with their grid (same epochs and selection)
  // join its benchmark; others join every benchmark of their task, preset and training noise, or
  // form their own where no trained run shares those.
  const sameData = (a: RunRecord, b: RunRecord): boolean => a.task === b.task && a.preset === b.preset && a.trainNoise === b.trainNoise;
  for (const r of trivial) {
    const own = groups.get(benchmarkKey(r));
    if (own && own.some((g) => g.method !== TRIVIAL_METHOD)) {
      own.push(r);
      continue;
    }
    const homes = [...groups.values()].filter((g) => sameData(g[0]!, r));
    if (homes.length) for (const g of homes) g.push(r);
    else add(benchmarkKey(r), r);
  }
  const keys = [...groups.keys()].sort();
  const varying = {
    trainNoise: new Set(runs.map((r) => `${r.task}/${r.preset}:${r.trainNoise}`)).size > new Set(runs.map((r) => `${r.task}/${r.preset}`)).size,
  };
  const benchmarks = keys.map((k) => buildBenchmark(groups.get(k)!, values, snap.evaluations, averaging, robustnessAveraging, keys.length > 1 || varying.trainNoise));
  const statusCounts = emptyCounts();
  for (const r of runs) statusCounts[r.status]++;
  return {
    file: snap.file,
    schemaVersion: snap.schemaVersion,
    generatedAt: opts.generatedAt ?? new Date().toISOString(),
    benchmarks,
    statusCounts,
    incomplete: benchmarks.flatMap((b) => b.incomplete),
  };
}

function buildBenchmark(
  runs: readonly RunRecord[],
  values: Map<number, Map<string, ValueMap>>,
  allEvals: readonly EvaluationRecord[],
  averaging: DeltaMAveraging,
  robustnessAveraging: DeltaMAveraging,
  qualify: boolean,
): Benchmark {
  const first = runs[0]!;
  const task = tryTask(first.task);
  const id = `${first.task}/${first.preset}` + (qualify && (first.trainNoise !== 'clean' || first.selection !== 'validation') ? ` (train ${first.trainNoise}, ${first.selection})` : '') + (qualify ? `, ${first.epochs} epochs` : '');
  const runIds = new Set(runs.map((r) => r.id));
  const { columns, notes } = columnsFor(task, allEvals.filter((e) => runIds.has(e.runId)));
  const taskNames = task ? [...task.taskNames] : distinct(columns.map((c) => c.task));
  const statusCounts = emptyCounts();
  for (const r of runs) statusCounts[r.status]++;
  const incomplete = runs
    .filter((r) => r.status !== 'completed')
    .map((r): IncompleteRun => ({ benchmark: id, key: r.key, label: r.label, seed: r.seed, status: r.status, epochsDone: r.epochsDone, epochs: r.epochs, error: firstLine(r.error) }));

  // label → seed → run (the latest completed one if a label/seed pair was run twice).
  const completed = runs.filter((r) => r.status === 'completed');
  const byLabel = new Map<string, Map<number, RunRecord>>();
  let duplicates = 0;
  for (const r of completed) {
    let m = byLabel.get(r.label);
    if (!m) byLabel.set(r.label, (m = new Map()));
    const prev = m.get(r.seed);
    if (prev) {
      duplicates++;
      if ((prev.endedAt ?? '') > (r.endedAt ?? '')) continue;
    }
    m.set(r.seed, r);
  }
  if (duplicates) notes.push(`${duplicates} label/seed pair(s) were completed more than once (different experiments); the latest run is used.`);
  const conditions = distinct(completed.flatMap((r) => [...(values.get(r.id)?.keys() ?? [])])).sort(compareConditions);
  const stlOf = (r: RunRecord): string | null => {
    if (r.singleTask !== null && taskNames[r.singleTask] !== undefined) return taskNames[r.singleTask]!;
    const m = /^STL\((.+)\)$/.exec(r.label);
    return m ? m[1]! : null;
  };
  const decls = declsOf(columns);

  const conditionResults = conditions.map((cond): ConditionResults => {
    const get = (r: RunRecord, c: MetricColumn): number | undefined => values.get(r.id)?.get(cond)?.get(`${c.task}/${c.name}`);
    const methodRows: { row: Omit<ResultRow, 'deltaM' | 'deltaMPairing'>; perSeed: Map<number, (number | undefined)[]> }[] = [];
    const stlRows: ResultRow[] = [];
    // Baseline per seed, composed from STL(task) runs: column → value.
    const baseBySeed = new Map<number, (number | undefined)[]>();
    const stlLabels: string[] = [];
    for (const [label, bySeed] of byLabel) {
      const anyRun = bySeed.values().next().value as RunRecord;
      const kind = rowKind(anyRun);
      const perSeed = new Map<number, (number | undefined)[]>();
      for (const [seed, r] of bySeed) {
        if (!values.get(r.id)?.has(cond)) continue;
        perSeed.set(seed, columns.map((c) => get(r, c)));
      }
      if (perSeed.size === 0) continue;
      const seeds = [...perSeed.keys()].sort((a, b) => a - b);
      const row = { label, kind, method: anyRun.method, params: anyRun.params, seeds, metrics: summarizeColumns(columns.length, perSeed) };
      if (kind === 'single-task') {
        stlRows.push({ ...row, deltaM: null, deltaMPairing: null });
        const own = stlOf(anyRun);
        if (own !== null) {
          stlLabels.push(label);
          for (const [seed, vec] of perSeed) {
            let b = baseBySeed.get(seed);
            if (!b) baseBySeed.set(seed, (b = columns.map(() => undefined)));
            columns.forEach((c, i) => {
              if (c.task === own && vec[i] !== undefined) b![i] = vec[i];
            });
          }
        }
      } else {
        methodRows.push({ row, perSeed });
      }
    }
    const baseSeeds = [...baseBySeed.keys()].sort((a, b) => a - b);
    const baseMetrics = summarizeColumns(columns.length, baseBySeed);
    const baseMean = baseMetrics.map((s) => (s ? s.mean : null));
    let dmNote = '';
    let available = false;
    // The floor rule over every seed's baseline and the mean: one exclusion set for all rows.
    const excluded = decls ? screenBaseline(decls, [...baseBySeed.values(), baseMean]) : [];
    const scope = decls ? deltaMScope(decls, excluded) : { kept: [], droppedTasks: [] };
    if (stlLabels.length === 0) dmNote = 'no single-task (STL) runs in this condition: no Δm%';
    else if (!decls) dmNote = 'some metric directions are unknown: no Δm%';
    else if (baseMean.some((b) => b === null)) dmNote = `the single-task baseline lacks ${columns.filter((_, i) => baseMean[i] === null).map((c) => `${c.task}.${c.name}`).join(', ')}: no Δm%`;
    else if (scope.kept.length === 0) dmNote = `unavailable: every metric's baseline fails the floor rule (${excluded.map(describeExclusion).join('; ')})`;
    else available = true;
    const seedBaselines = new Map<number, number[]>();
    for (const [seed, vec] of baseBySeed) if (scope.kept.every((i) => vec[i] !== undefined)) seedBaselines.set(seed, vec.map((v) => v ?? NaN));
    const dm = (perSeed: Map<number, (number | undefined)[]>): { s: Summary | null; pairing: DeltaMPairing | null } => {
      if (!available || !decls) return { s: null, pairing: null };
      const vals: number[] = [];
      const seeds: number[] = [];
      let matched = 0;
      for (const seed of [...perSeed.keys()].sort((a, b) => a - b)) {
        const vec = perSeed.get(seed)!;
        // A seed lacking a metric that enters has no Δm% (shown as n=k/N, never averaged around).
        if (scope.kept.some((i) => vec[i] === undefined)) continue;
        const b = seedBaselines.get(seed);
        if (b) matched++;
        const v = deltaMInScope(decls, scope, b ?? baseMean.map((x) => x ?? NaN), vec.map((x) => x ?? NaN), averaging);
        if (v === null) continue;
        vals.push(v);
        seeds.push(seed);
      }
      if (vals.length === 0) return { s: null, pairing: null };
      return { s: summarize(vals, seeds), pairing: matched === vals.length ? 'seed-matched' : matched === 0 ? 'mean-baseline' : 'mixed' };
    };
    const rows: ResultRow[] = [];
    if (stlLabels.length) {
      const d = dm(baseBySeed);
      rows.push({ label: 'Single-task baseline', kind: 'baseline', method: '', params: {}, seeds: baseSeeds, metrics: baseMetrics, deltaM: d.s, deltaMPairing: d.pairing, components: stlLabels.sort() });
    }
    for (const { row, perSeed } of methodRows.sort((a, b) => compareRows(a.row, b.row))) {
      const d = dm(perSeed);
      rows.push({ ...row, deltaM: d.s, deltaMPairing: d.pairing });
    }
    const trivialBest = bestTrivial(rows, columns);
    const { rows: paired, resolution } = pairWithEW(rows);
    const flagged = paired.map((r) => (trivialBest.some((x) => x !== null) ? { ...r, notBeatingTrivial: notBeatingTrivial(r, trivialBest, columns) } : r));
    if (available) {
      const pairings = distinct(rows.map((r) => r.deltaMPairing));
      dmNote =
        pairings.length === 1 && pairings[0] === 'seed-matched'
          ? 'Δm% per seed against the same seed’s single-task runs'
          : 'Δm% per seed against the same seed’s single-task runs where that seed has them, else against the mean baseline';
    }
    return {
      condition: cond,
      rows: flagged,
      singleTask: stlRows.sort((a, b) => compareRows(a, b)),
      deltaM: {
        averaging,
        baseline: baseMean,
        baselineLabel: stlLabels.length ? `single-task baseline (${stlLabels.sort().join(', ')})` : 'none',
        available,
        note: dmNote,
        excluded: available ? excluded : [],
        droppedTasks: available ? scope.droppedTasks : [],
      },
      trivialBest,
      resolution,
    };
  });

  const recorded = new Set(allEvals.filter((e) => runIds.has(e.runId)).map((e) => `${e.task}/${e.metric}`));
  const dedicated = noiseTableColumns(first.task);
  const rColumns: MetricColumn[] =
    dedicated && dedicated.some((c) => recorded.has(`${c.task}/${c.name}`)) ? dedicated.map((c) => ({ ...c, inferred: false })) : columns;
  if (rColumns !== columns) {
    const shown = new Set(rColumns.map((c) => `${c.task}/${c.name}`));
    const i = notes.findIndex((n) => n.startsWith('Recorded but not declared'));
    if (i >= 0) {
      const rest = [...recorded].filter((k) => !shown.has(k) && !columns.some((c) => `${c.task}/${c.name}` === k)).map((k) => k.replace('/', '.'));
      notes[i] = rest.length ? `Recorded but not declared by task ${first.task} (not shown): ${rest.join(', ')}.` : '';
    }
  }
  const robustness = robustnessEntries(byLabel, conditions, values, rColumns, robustnessAveraging);

  const started = distinct(runs.map((r) => r.startedAt)).sort();
  const ended = distinct(runs.map((r) => r.endedAt)).sort();
  return {
    key: `${first.task}/${first.preset}|${first.trainNoise}|${first.selection}|${first.epochs}`,
    id,
    task: first.task,
    taskDisplayName: task?.displayName ?? first.task,
    taskNames,
    preset: first.preset,
    trainNoise: first.trainNoise,
    selection: first.selection,
    epochs: first.epochs,
    columns,
    conditions: conditionResults,
    robustness,
    robustnessColumns: rColumns,
    robustnessAveraging,
    statusCounts,
    incomplete,
    provenance: {
      gitCommits: distinct(runs.map((r) => r.gitCommit)),
      packageVersions: distinct(runs.map((r) => r.packageVersion)),
      nodeVersions: distinct(runs.map((r) => r.nodeVersion)),
      backends: distinct(runs.map((r) => r.backend)),
      datasetFingerprints: distinct(runs.map((r) => r.datasetFingerprint)),
      datasets: distinct(runs.map((r) => r.dataset)),
      experiments: distinct(runs.map((r) => r.experiment)),
      seeds: distinct(runs.map((r) => r.seed)).sort((a, b) => a - b),
      firstStarted: started[0] ?? null,
      lastEnded: ended[ended.length - 1] ?? null,
    },
    notes: notes.filter((n) => n !== ''),
    runIds: [...byLabel.values()].flatMap((m) => [...m.values()].map((r) => r.id)).sort((a, b) => a - b),
  };
}

/**
 * Each method (single-task runs left out: they train one head) across conditions, Δm% of every
 * condition against the same run's clean result over the columns present in both.
 */
function robustnessEntries(
  byLabel: Map<string, Map<number, RunRecord>>,
  conditions: readonly string[],
  values: Map<number, Map<string, ValueMap>>,
  rColumns: readonly MetricColumn[],
  robustnessAveraging: DeltaMAveraging,
): RobustnessEntry[] {
  const rDecls = declsOf(rColumns);
  const robustness: RobustnessEntry[] = [];
  if (conditions.length < 2 || !conditions.includes('clean')) return robustness;
  for (const [label, bySeed] of byLabel) {
    const anyRun = bySeed.values().next().value as RunRecord;
    const kind = rowKind(anyRun);
    // Single-task runs train one head: their metrics under noise are not a method's.
    if (kind === 'single-task') continue;
    const entry: RobustnessEntry['conditions'][number][] = [];
    // The floor rule over this label's clean results, every seed: one exclusion set for all its conditions.
    const cleanVecs = [...bySeed.values()].map((r) => rColumns.map((c) => values.get(r.id)?.get('clean')?.get(`${c.task}/${c.name}`)));
    const excluded = rDecls ? screenBaseline(rDecls, cleanVecs) : [];
    const out = new Set(excluded.map((e) => `${e.task}.${e.name}`));
    for (const cond of conditions) {
      const perSeed = new Map<number, (number | undefined)[]>();
      const dms: number[] = [];
      const dmSeeds: number[] = [];
      for (const [seed, r] of bySeed) {
        const v = values.get(r.id)?.get(cond);
        if (!v) continue;
        const vec = rColumns.map((c) => v.get(`${c.task}/${c.name}`));
        perSeed.set(seed, vec);
        const clean = values.get(r.id)?.get('clean');
        if (!clean || !rDecls) continue;
        // Only the metrics present in both.
        const cleanVec = rColumns.map((c) => clean.get(`${c.task}/${c.name}`));
        const kept = rColumns.map((_, i) => i).filter((i) => vec[i] !== undefined && cleanVec[i] !== undefined && !out.has(`${rColumns[i]!.task}.${rColumns[i]!.name}`));
        const d = deltaMInScope(rDecls, { kept, droppedTasks: [] }, cleanVec.map((x) => x ?? NaN), vec.map((x) => x ?? NaN), robustnessAveraging);
        if (d === null) continue;
        dms.push(d);
        dmSeeds.push(seed);
      }
      if (perSeed.size === 0) continue;
      entry.push({ condition: cond, metrics: summarizeColumns(rColumns.length, perSeed), deltaM: dms.length ? summarize(dms, dmSeeds) : null, seeds: perSeed.size });
    }
    if (entry.length > 1) robustness.push({ label, kind, method: anyRun.method, params: anyRun.params, conditions: entry, excluded });
  }
  robustness.sort((a, b) => compareRows(a, b));
  return robustness;
}

/** Rows that get a paired comparison with EW: trained methods (not the baseline, single-task or trivial rows). */
const PAIRED_KINDS: readonly RowKind[] = ['loss-weighting', 'gradient-aggregation', 'other'];

/**
 * Each trained method's per-seed Δm% against EW's (the same seeds, each Δm% against that seed's
 * baseline), and the resolution of the condition: EW's Δm% seed spread and the median half-width
 * of the paired intervals.
 */
function pairWithEW(rows: readonly ResultRow[]): { rows: ResultRow[]; resolution: Resolution } {
  const ews = rows.filter((r) => r.method === 'ew' && PAIRED_KINDS.includes(r.kind) && r.deltaM);
  const ew = ews.find((r) => r.label === 'EW') ?? ews[0];
  if (!ew) return { rows: [...rows], resolution: { reference: null, referenceDeltaM: null, compared: 0, detectable: null, pairedSeeds: [] } };
  const perMetric = (r: ResultRow): (PairedComparison | null)[] => r.metrics.map((s, j) => (s && ew.metrics[j] ? pairedComparison(s, ew.metrics[j]!) : null));
  const out = rows.map((r) => (r === ew || !PAIRED_KINDS.includes(r.kind) || !r.deltaM ? r : { ...r, pairedVsEW: pairedComparison(r.deltaM, ew.deltaM!), pairedMetricsVsEW: perMetric(r) }));
  const widths = out.flatMap((r) => (r.pairedVsEW?.ci ? [r.pairedVsEW] : []));
  return {
    rows: out,
    resolution: {
      reference: ew.label,
      referenceDeltaM: ew.deltaM,
      compared: widths.length,
      detectable: widths.length ? median(widths.map((p) => p.ci!.halfWidth)) : null,
      pairedSeeds: [...new Set(widths.map((p) => p.n))].sort((a, b) => a - b),
    },
  };
}

/** Δm% declarations of columns (with their floors), or null when a direction is unknown. */
function declsOf(columns: readonly MetricColumn[]): MetricDecl[] | null {
  if (!columns.every((c) => c.higherIsBetter !== null)) return null;
  return columns.map((c) => ({ task: c.task, name: c.name, higherIsBetter: c.higherIsBetter as boolean, ...(c.floor !== undefined ? { floor: c.floor } : {}) }));
}

function summarizeColumns(n: number, perSeed: Map<number, (number | undefined)[]>): (Summary | null)[] {
  const seeds = [...perSeed.keys()].sort((a, b) => a - b);
  return Array.from({ length: n }, (_, i) => {
    const vals: number[] = [];
    const ss: number[] = [];
    for (const s of seeds) {
      const v = perSeed.get(s)![i];
      if (v !== undefined) {
        vals.push(v);
        ss.push(s);
      }
    }
    return vals.length ? summarize(vals, ss) : null;
  });
}

/** The rows of one condition of a benchmark (undefined if the condition was not evaluated). */
export function conditionOf(b: Benchmark, condition: string): ConditionResults | undefined {
  return b.conditions.find((c) => c.condition === condition);
}
