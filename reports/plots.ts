/**
 * Plots as Vega-Lite specs, rendered to static SVG in Node (vega's headless `renderer: 'none'`
 * view; no canvas, no browser). Each builder returns null when the record has nothing to draw:
 * - training curves: per-task training loss and validation metrics per optimizer (mean over seeds);
 * - task weights over training (epoch means, one panel per optimizer);
 * - Δm% against EGA's temperature T (mean ± std over seeds, published Table II values beside);
 * - metric degradation against SNR and against abrupt-noise duration (and Δm% vs clean);
 * - example signals from the `examples` table (reconstructed vs reference ECG cycles, long-term
 *   stretches with anchors): every stored series as a line, every marker set as vertical rules.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { publishedTablesFor } from './paper.js';
import { compareConditions, type Benchmark } from './results.js';
import type { EpochMetricRecord, ExampleRecord, RunRecord, TaskWeightRecord } from './source.js';

export interface PlotSpec {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly spec: TopLevelSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11, labelLimit: 320 },
  title: { fontSize: 13, anchor: 'start' as const },
};
const COLORS = { scheme: 'tableau20' };

/** Render a Vega-Lite spec to an SVG string (async; about 0.1 s per chart). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function meanBy<T>(rows: readonly T[], key: (r: T) => string | null, value: (r: T) => number | null): Map<string, number> {
  const acc = new Map<string, { s: number; n: number }>();
  for (const r of rows) {
    const k = key(r);
    const v = value(r);
    if (k === null || v === null || !Number.isFinite(v)) continue;
    const a = acc.get(k) ?? { s: 0, n: 0 };
    a.s += v;
    a.n++;
    acc.set(k, a);
  }
  return new Map([...acc].map(([k, a]) => [k, a.s / a.n]));
}

function ownTask(run: RunRecord, taskNames: readonly string[]): string | null {
  if (run.singleTask !== null) return taskNames[run.singleTask] ?? null;
  const m = /^STL\((.+)\)$/.exec(run.label);
  return m ? m[1]! : null;
}

function colorEncoding(title = 'optimizer') {
  return { field: 'label', type: 'nominal' as const, title, scale: COLORS, legend: { columns: 1, symbolLimit: 40 } };
}

/**
 * Per-task training loss and validation metrics over epochs, one line per label (mean over seeds).
 * Single-task runs contribute only their own task.
 */
export function trainingCurveSpecs(b: Benchmark, runs: readonly RunRecord[], metrics: readonly EpochMetricRecord[]): PlotSpec[] {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const used = new Set(b.runIds);
  const rows = metrics.filter((m) => used.has(m.runId) && byId.has(m.runId));
  const declared = new Set(b.columns.map((c) => `${c.task}/${c.name}`));
  const keep = (m: EpochMetricRecord): boolean => {
    const run = byId.get(m.runId)!;
    const own = ownTask(run, b.taskNames);
    // Validation panels: the declared metrics only (tasks may record more, e.g. long-term ones).
    return (own === null || own === m.task) && (m.split === 'train' || declared.has(`${m.task}/${m.metric}`));
  };
  const sep = '\u0000';
  const out: PlotSpec[] = [];
  for (const split of ['train', 'val'] as const) {
    const means = meanBy(
      rows.filter((m) => m.split === split && keep(m)),
      (m) => [byId.get(m.runId)!.label, m.task, m.metric, String(m.epoch)].join(sep),
      (m) => m.value,
    );
    if (means.size === 0) continue;
    const values = [...means].map(([k, v]) => {
      const [label, task, metric, epoch] = k.split(sep) as [string, string, string, string];
      const col = b.columns.find((c) => c.task === task && c.name === metric);
      const arrow = col ? (col.higherIsBetter === null ? '' : col.higherIsBetter ? ' ↑' : ' ↓') : '';
      return { label, panel: split === 'train' ? `${task}: training loss` : `${task}: ${col?.label ?? metric}${arrow}`, epoch: Number(epoch) + 1, value: v };
    });
    const panels = [...new Set(values.map((v) => v.panel))];
    const positive = values.every((v) => v.value > 0);
    const ratio = positive ? Math.max(...values.map((v) => v.value)) / Math.min(...values.map((v) => v.value)) : 1;
    out.push({
      id: `curves-${split}`,
      title: split === 'train' ? 'Training loss per task' : 'Validation metrics per task',
      description: `${split === 'train' ? 'Epoch-mean training loss' : 'Validation-split metrics'} per task and optimizer, mean over seeds.`,
      spec: {
        $schema: SCHEMA,
        title: split === 'train' ? 'Training loss per task (mean over seeds)' : 'Validation metrics per task (mean over seeds)',
        config: CONFIG,
        data: { values },
        facet: { field: 'panel', type: 'nominal', title: null, sort: panels },
        columns: Math.min(3, panels.length),
        spec: {
          width: 220,
          height: 150,
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
            y: { field: 'value', type: 'quantitative', title: null, scale: ratio > 30 ? { type: 'log' as const } : { zero: false } },
            color: colorEncoding(),
          },
        },
        resolve: { scale: { y: 'independent' } },
      },
    });
  }
  return out;
}

/** Epoch-mean task weights of every method (single-task runs left out), one panel per method. */
export function taskWeightSpec(b: Benchmark, runs: readonly RunRecord[], weights: readonly TaskWeightRecord[]): PlotSpec | null {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const used = new Set(b.runIds);
  const sep = '\u0000';
  const means = meanBy(
    weights.filter((w) => w.step === -1 && used.has(w.runId) && byId.has(w.runId) && ownTask(byId.get(w.runId)!, b.taskNames) === null),
    (w) => [byId.get(w.runId)!.label, w.task, String(w.epoch)].join(sep),
    (w) => w.weight,
  );
  if (means.size === 0) return null;
  const values = [...means].map(([k, v]) => {
    const [label, task, epoch] = k.split(sep) as [string, string, string];
    return { label, task, epoch: Number(epoch) + 1, weight: v };
  });
  const labels = [...new Set(values.map((v) => v.label))];
  return {
    id: 'task-weights',
    title: 'Task weights over training',
    description: 'Epoch mean of the weights each method reports (loss weights, or aggregation coefficients), mean over seeds.',
    spec: {
      $schema: SCHEMA,
      title: 'Task weights over training (epoch means, mean over seeds)',
      config: CONFIG,
      data: { values },
      facet: { field: 'label', type: 'nominal', title: null, sort: labels, header: { labelLimit: 230, labelFontSize: 10 } },
      columns: 4,
      spec: {
        width: 170,
        height: 100,
        mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.5 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
          y: { field: 'weight', type: 'quantitative', title: 'weight' },
          color: { field: 'task', type: 'nominal', title: 'task', scale: { scheme: 'category10' } },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

/** Δm% against EGA's temperature T (measured mean ± std; published Table II beside when it matches). */
export function deltaMVsTSpec(b: Benchmark, condition = 'clean'): PlotSpec | null {
  const cond = b.conditions.find((c) => c.condition === condition);
  if (!cond) return null;
  const measured = cond.rows.filter((r) => r.method === 'ega' && typeof r.params.T === 'number' && r.deltaM);
  if (measured.length === 0) return null;
  const variants = new Set(measured.map((r) => `${String(r.params.variant ?? '')}`));
  const values: { T: number; deltaM: number; lo: number; hi: number; series: string }[] = measured.map((r) => {
    const d = r.deltaM!;
    const sd = d.std ?? 0;
    return { T: r.params.T as number, deltaM: d.mean, lo: d.mean - sd, hi: d.mean + sd, series: `measured${variants.size > 1 ? ` (${String(r.params.variant)})` : ''}, mean ± std` };
  });
  if (condition === 'clean') {
    for (const p of publishedTablesFor(b.task, 'methods')) {
      for (const r of p.rows) {
        if (r.method === 'ega' && typeof r.params?.T === 'number' && r.deltaM !== null) values.push({ T: r.params.T, deltaM: r.deltaM, lo: r.deltaM, hi: r.deltaM, series: `published (${p.caption.split(':')[0]})` });
      }
    }
  }
  values.sort((a, b2) => a.series.localeCompare(b2.series) || a.T - b2.T);
  return {
    id: 'deltam-vs-T',
    title: 'Δm% against EGA’s temperature T',
    description: `Δm% (${cond.deltaM.averaging}) of each EGA run against the single-task baseline, mean ± sample std over seeds; condition ${condition}.`,
    spec: {
      $schema: SCHEMA,
      title: `Δm% vs EGA temperature T (${condition})`,
      config: CONFIG,
      width: 360,
      height: 220,
      data: { values },
      encoding: {
        x: { field: 'T', type: 'quantitative', title: 'T (softmax temperature)' },
        color: { field: 'series', type: 'nominal', title: null, scale: { scheme: 'set1' } },
      },
      layer: [
        { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'Δm% (↑ better)' }, y2: { field: 'hi' } } },
        { mark: { type: 'line', point: { size: 40 } }, encoding: { y: { field: 'deltaM', type: 'quantitative' } } },
      ],
    },
  };
}

interface DegradationPoint {
  label: string;
  panel: string;
  value: number;
}

/** Metric degradation against SNR and against abrupt-noise duration (one line per method). */
export function degradationSpecs(b: Benchmark): PlotSpec[] {
  const entries = b.robustness.filter((e) => e.kind !== 'single-task');
  if (entries.length === 0) return [];
  const panelOf = (j: number): string => {
    const c = b.robustnessColumns[j]!;
    return `${c.task}: ${c.label}${c.higherIsBetter === null ? '' : c.higherIsBetter ? ' ↑' : ' ↓'}`;
  };
  const panels = [...b.robustnessColumns.map((_, j) => panelOf(j)), 'Δm% vs clean ↑'];
  const points = (cond: { metrics: readonly ({ mean: number } | null)[]; deltaM: { mean: number } | null }, label: string): DegradationPoint[] => [
    ...cond.metrics.flatMap((s, j) => (s ? [{ label, panel: panelOf(j), value: s.mean }] : [])),
    ...(cond.deltaM ? [{ label, panel: 'Δm% vs clean ↑', value: cond.deltaM.mean }] : []),
  ];
  const out: PlotSpec[] = [];
  const snrConds = [...new Set(entries.flatMap((e) => e.conditions.map((c) => c.condition)))].filter((c) => /^snr/.test(c)).sort(compareConditions);
  if (snrConds.length) {
    const order = ['clean', ...snrConds];
    const xLabel = (c: string): string => (c === 'clean' ? 'clean' : `${/^snr(-?[\d.]+)dB$/.exec(c)?.[1] ?? c} dB`);
    const values = entries.flatMap((e) => e.conditions.filter((c) => order.includes(c.condition)).flatMap((c) => points(c, e.label).map((p) => ({ ...p, snr: xLabel(c.condition) }))));
    out.push({
      id: 'degradation-snr',
      title: 'Metrics against SNR',
      description: 'Test metrics of the selected epoch under constant Gaussian noise at decreasing SNR (mean over seeds), and Δm% against each method’s clean result.',
      spec: {
        $schema: SCHEMA,
        title: 'Degradation under constant noise (SNR)',
        config: CONFIG,
        data: { values },
        facet: { field: 'panel', type: 'nominal', title: null, sort: panels },
        columns: 3,
        spec: {
          width: 200,
          height: 140,
          mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.5 },
          encoding: {
            x: { field: 'snr', type: 'ordinal', title: 'SNR', sort: order.map(xLabel) },
            y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
            color: colorEncoding(),
          },
        },
        resolve: { scale: { y: 'independent' } },
      },
    });
  }
  const abrupt = [...new Set(entries.flatMap((e) => e.conditions.map((c) => c.condition)))]
    .map((c) => ({ c, m: /^abrupt(\d+(?:\.\d+)?)s@(-?\d+(?:\.\d+)?)dB$/.exec(c) }))
    .filter((x): x is { c: string; m: RegExpExecArray } => x.m !== null);
  if (abrupt.length) {
    const levels = [...new Set(abrupt.map((a) => `${a.m[2]} dB`))];
    const values = entries.flatMap((e) =>
      e.conditions.flatMap((c) => {
        if (c.condition === 'clean') return levels.flatMap((level) => points(c, e.label).map((p) => ({ ...p, seconds: 0, level })));
        const a = abrupt.find((x) => x.c === c.condition);
        return a ? points(c, e.label).map((p) => ({ ...p, seconds: Number(a.m[1]), level: `${a.m[2]} dB` })) : [];
      }),
    );
    out.push({
      id: 'degradation-abrupt',
      title: 'Metrics against abrupt-noise duration',
      description: 'Test metrics under abrupt (body-movement) noise of increasing duration, per noise level (0 s = clean), mean over seeds; Δm% against each method’s clean result.',
      spec: {
        $schema: SCHEMA,
        title: 'Degradation under abrupt noise (duration, level)',
        config: CONFIG,
        data: { values },
        facet: { field: 'panel', type: 'nominal', title: null, sort: panels },
        columns: 3,
        spec: {
          width: 200,
          height: 140,
          mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.5 },
          encoding: {
            x: { field: 'seconds', type: 'quantitative', title: 'abrupt noise duration (s)', axis: { tickMinStep: 1 } },
            y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
            color: colorEncoding(),
            strokeDash: { field: 'level', type: 'nominal', title: 'level' },
          },
        },
        resolve: { scale: { y: 'independent' } },
      },
    });
  }
  return out;
}

/** Min/max decimation to about `maxPoints` points, keeping peaks (long-term stretches have ~35k samples). */
export function decimate(xs: readonly number[], maxPoints = 1000): { i: number; v: number }[] {
  if (xs.length <= maxPoints) return xs.map((v, i) => ({ i, v }));
  const buckets = Math.floor(maxPoints / 2);
  const size = xs.length / buckets;
  const out: { i: number; v: number }[] = [];
  for (let k = 0; k < buckets; k++) {
    const lo = Math.floor(k * size);
    const hi = Math.min(xs.length, Math.floor((k + 1) * size));
    let iMin = lo;
    let iMax = lo;
    for (let i = lo; i < hi; i++) {
      if (xs[i]! < xs[iMin]!) iMin = i;
      if (xs[i]! > xs[iMax]!) iMax = i;
    }
    for (const i of iMin <= iMax ? [iMin, iMax] : [iMax, iMin]) if (out[out.length - 1]?.i !== i) out.push({ i, v: xs[i]! });
  }
  return out;
}

/** Samples beyond which an example counts as a long stretch (drawn wide, one panel per row). */
const LONG_EXAMPLE = 1000;

function isLong(ex: ExampleRecord): boolean {
  return Object.keys(ex.markers ?? {}).length > 0 || Math.max(0, ...Object.values(ex.series).map((s) => s.length)) > LONG_EXAMPLE;
}

/**
 * One chart for a set of stored examples of one run: a panel per example (rows: conditions,
 * columns: example names), each stored series a line, each marker set dashed vertical rules.
 */
export function examplesChart(examples: readonly ExampleRecord[], id: string, title: string, long: boolean): PlotSpec | null {
  const rows: { t: number; value: number | null; name: string; kind: 'series' | 'marker'; example: string; condition: string }[] = [];
  let rate: number | null = null;
  const units = new Set<string>();
  for (const ex of examples) {
    const r = ex.sampleRate && ex.sampleRate > 0 ? ex.sampleRate : null;
    rate = rate ?? r;
    if (ex.unit) units.add(ex.unit);
    const t = (i: number): number => (r ? i / r : i);
    for (const [name, xs] of Object.entries(ex.series)) for (const p of decimate(xs)) if (Number.isFinite(p.v)) rows.push({ t: t(p.i), value: p.v, name, kind: 'series', example: ex.name, condition: ex.condition });
    for (const [name, idx] of Object.entries(ex.markers ?? {})) for (const i of idx) if (Number.isFinite(i)) rows.push({ t: t(i), value: null, name, kind: 'marker', example: ex.name, condition: ex.condition });
  }
  if (rows.length === 0) return null;
  const conditions = [...new Set(examples.map((e) => e.condition))].sort(compareConditions);
  const names = [...new Set(examples.map((e) => e.name))].sort();
  const x = { field: 't', type: 'quantitative' as const, title: rate ? 'time (s)' : 'sample' };
  // The same colours in every example chart: reference first, then the other series, then markers.
  const seriesNames = [...new Set(rows.filter((r) => r.kind === 'series').map((r) => r.name))].sort((a, c) => Number(c === 'reference') - Number(a === 'reference') || a.localeCompare(c));
  const markerNames = [...new Set(rows.filter((r) => r.kind === 'marker').map((r) => r.name))].sort();
  const color = { field: 'name', type: 'nominal' as const, title: 'series / markers', scale: { domain: [...seriesNames, ...markerNames], scheme: 'set1' } };
  const hasMarkers = markerNames.length > 0;
  const layer: NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> = [
    { transform: [{ filter: "datum.kind === 'series'" }], mark: { type: 'line', strokeWidth: long ? 0.8 : 1.4 }, encoding: { x, y: { field: 'value', type: 'quantitative', title: units.size === 1 ? [...units][0]! : 'value', scale: { zero: false } }, color } },
  ];
  if (hasMarkers) layer.push({ transform: [{ filter: "datum.kind === 'marker'" }], mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1, opacity: 0.85 }, encoding: { x, color } });
  const description = `Stored examples (${names.join(', ')}) under ${conditions.join(', ')}: ${seriesNames.join(', ')}${hasMarkers ? `; markers (dashed) ${markerNames.join(', ')}` : ''}.`;
  return {
    id,
    title,
    description,
    spec: {
      $schema: SCHEMA,
      title,
      config: CONFIG,
      data: { values: rows },
      facet: {
        row: { field: 'condition', type: 'nominal', title: null, sort: conditions },
        ...(names.length > 1 || !long ? { column: { field: 'example', type: 'nominal', title: null, sort: names } } : {}),
      },
      spec: { width: long ? 760 : 190, height: long ? 110 : 120, layer },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

/**
 * Example plots for a benchmark: for one run (lowest seed) per label, labels in order of Δm%
 * (best first), at most `maxRuns` runs, one chart of the short examples (single cycles) and one
 * of the long ones (stretches with markers), every stored condition a row of panels.
 */
export function exampleSpecs(b: Benchmark, runs: readonly RunRecord[], examples: readonly ExampleRecord[], maxRuns = 4): PlotSpec[] {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const withEx = [...new Set(examples.map((e) => e.runId))].map((id) => byId.get(id)).filter((r): r is RunRecord => r !== undefined && b.runIds.includes(r.id));
  const clean = b.conditions.find((c) => c.condition === 'clean') ?? b.conditions[0];
  const score = (label: string): number => clean?.rows.find((r) => r.label === label)?.deltaM?.mean ?? -Infinity;
  const firstRun = new Map<string, RunRecord>();
  for (const r of withEx.sort((a, c) => a.seed - c.seed)) if (!firstRun.has(r.label)) firstRun.set(r.label, r);
  const chosen = [...firstRun.values()].sort((a, c) => score(c.label) - score(a.label) || a.label.localeCompare(c.label)).slice(0, maxRuns);
  const out: PlotSpec[] = [];
  for (const run of chosen) {
    const mine = examples.filter((e) => e.runId === run.id);
    const short = examplesChart(mine.filter((e) => !isLong(e)), `examples-${run.id}-short`.replace(/[^A-Za-z0-9_-]+/g, '_'), `${run.label} (seed ${run.seed}): example cycles, reconstructed vs reference`, false);
    const long = examplesChart(mine.filter(isLong), `examples-${run.id}-long`.replace(/[^A-Za-z0-9_-]+/g, '_'), `${run.label} (seed ${run.seed}): long-term stretch with anchors`, true);
    if (short) out.push(short);
    if (long) out.push(long);
  }
  return out;
}
