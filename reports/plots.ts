/**
 * Plots as Vega-Lite specs, rendered to static SVG in Node (vega's headless `renderer: 'none'`
 * view; no canvas, no browser). Each builder returns null when the record has nothing to draw:
 * - training curves: per-task training loss and validation metrics per optimizer (mean over seeds);
 * - task weights over training (epoch means, one panel per optimizer);
 * - Δm% against EGA's temperature T (mean ± std over seeds, published Table II values beside);
 * - metric degradation against SNR and against abrupt-noise duration (and Δm% vs clean);
 * - example signals from the `examples` table (reconstructed vs reference ECG cycles, long-term
 *   stretches with anchors): every stored series as a line, every marker set as vertical rules;
 * - cost beside quality: Δm% (mean with its 95% seed interval) against the measured step time.
 * A few series are drawn in colour (EW, the best and second best by Δm%, the best EGA, and any the
 * user names), the rest thin and grey; each panel has its own y axis titled with the unit and
 * the better direction; data points carry a text (`aria-label`, and a `<title>` added after
 * rendering) that the report shows as a tooltip, and browsers show natively without script.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { publishedTablesFor } from './paper.js';
import { compareConditions, type Benchmark } from './results.js';
import { columnHeader } from './table.js';
import type { EpochMetricRecord, ExampleRecord, RunRecord, TaskWeightRecord } from './source.js';

export interface PlotSpec {
  readonly id: string;
  /** Plots of one run (the example signals), offered together in the report's run picker. */
  readonly group?: string;
  readonly title: string;
  readonly description: string;
  readonly spec: TopLevelSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  aria: false,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11, labelLimit: 320 },
  title: { fontSize: 13, anchor: 'start' as const },
};
/** Colours of the highlighted series (category10 without its grey), then the grey of the rest. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#bcbd22', '#17becf'];
export const OTHERS = 'other methods';
const GREY = '#c4c4c4';

/** Which labels of a benchmark are drawn in colour, and how the rest are named in the legend. */
export interface Highlight {
  readonly labels: readonly string[];
}

/**
 * EW, the best and second best by Δm% (clean, else the first condition), the best EGA row, and
 * any label, method id or display name the user lists (case-insensitive), at most nine.
 */
export function highlightFor(b: Benchmark, extra: readonly string[] = []): Highlight {
  const cond = b.conditions.find((c) => c.condition === 'clean') ?? b.conditions[0];
  const rows = (cond?.rows ?? []).filter((r) => r.kind !== 'baseline' && r.kind !== 'single-task');
  const ranked = rows.filter((r) => r.deltaM).sort((a, c) => c.deltaM!.mean - a.deltaM!.mean);
  const out: string[] = [];
  const add = (l: string | undefined): void => {
    if (l !== undefined && !out.includes(l)) out.push(l);
  };
  add(rows.find((r) => r.method === 'ew')?.label);
  add(ranked[0]?.label);
  add(ranked[1]?.label);
  add((ranked.find((r) => r.method === 'ega') ?? rows.find((r) => r.method === 'ega'))?.label);
  const wanted = extra.map((x) => x.toLowerCase());
  for (const r of rows) if (wanted.includes(r.label.toLowerCase()) || wanted.includes(r.method.toLowerCase())) add(r.label);
  return { labels: out.slice(0, PALETTE.length) };
}

/** The legend series of a label: itself when highlighted, else the grey group. */
function seriesOf(h: Highlight, label: string): string {
  return h.labels.includes(label) ? label : OTHERS;
}

function colorEncoding(h: Highlight, present: readonly string[]) {
  const shown = h.labels.filter((l) => present.includes(l));
  const domain = [...shown, ...(present.some((l) => !h.labels.includes(l)) ? [OTHERS] : [])];
  return {
    field: 'series',
    type: 'nominal' as const,
    title: 'optimizer',
    scale: { domain, range: domain.map((d, i) => (d === OTHERS ? GREY : PALETTE[i % PALETTE.length]!)) },
    legend: { columns: 1, symbolLimit: 12, orient: 'right' as const },
  };
}

/** Grey series first (drawn under), then the highlighted ones. */
function greyFirst<T extends { series: string }>(values: T[]): T[] {
  return values.sort((a, c) => Number(c.series === OTHERS) - Number(a.series === OTHERS));
}

/** `↑ better` / `↓ better` for an axis title. */
export function betterText(higherIsBetter: boolean | null | undefined): string {
  return higherIsBetter === null || higherIsBetter === undefined ? '' : higherIsBetter ? ' (↑ better)' : ' (↓ better)';
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

/**
 * Lines of every series, the grey ones thin; points carrying a tooltip text (field `tip`) on the
 * highlighted ones.
 */
function seriesLayers(x: object, y: object, color: object, extra: Record<string, unknown> = {}) {
  return [
    { mark: { type: 'line' as const, aria: false }, encoding: { x, y, color, detail: { field: 'label', type: 'nominal' as const }, strokeWidth: { condition: { test: `datum.series === '${OTHERS}'`, value: 0.8 }, value: 2 }, ...extra } },
    // Points (with their tooltips) for the highlighted series only: the grey ones are context.
    { transform: [{ filter: `datum.series !== '${OTHERS}'` }], mark: { type: 'point' as const, filled: true, size: 22, aria: true }, encoding: { x, y, color, description: { field: 'tip', type: 'nominal' as const } } },
  ];
}

interface Panel {
  readonly name: string;
  readonly yTitle: string;
  readonly log?: boolean;
}

/** Small multiples as a concat of panels (no empty frames), each with its own titled y axis. */
function panels(ps: readonly Panel[], inner: (p: Panel) => object, cols: number, width: number, height: number): object {
  return {
    concat: ps.map((p) => ({ title: { text: p.name, fontSize: 11 }, transform: [{ filter: { field: 'panel', equal: p.name } }], width, height, ...inner(p) })),
    columns: Math.min(cols, ps.length),
    resolve: { scale: { y: 'independent' } },
  };
}

/**
 * Drop what vega's SVG repeats on every element without changing the picture: the default
 * opacity, the font family (the report's page sets the same one, which inline SVG inherits), and ARIA role descriptions of container groups (the
 * charts keep their titles and the per-point tooltips).
 */
export function compactSvg(svg: string): string {
  return svg
    .replaceAll(' opacity="1"', '')
    .replaceAll(` font-family="${FONT}"`, '')
    .replace(/ aria-roledescription="[^"]*"/g, '')
    .replaceAll(' role="graphics-object"', '');
}

/** Render a Vega-Lite spec to an SVG string (async; about 0.1 s per chart). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return compactSvg(withTitles(await view.toSVG()));
  } finally {
    view.finalize();
  }
}

/** Path data and translations at 0.1 px (vega writes 15 digits): a third of the bytes, the same picture. */
export function compactNumbers(svg: string): string {
  return svg.replace(/ (d|transform)="([^"]*)"/g, (_m, attr: string, v: string) => ` ${attr}="${v.replace(/-?\d+\.\d{2,}/g, (x) => String(Math.round(Number(x) * 10) / 10))}"`);
}

/**
 * Give every data point that carries a text (`aria-label`) a `<title>` child: the browser's own
 * tooltip, with or without script (the report's script turns them into a styled tooltip).
 */
export function withTitles(svg: string): string {
  return compactNumbers(svg).replace(/<(path|rect|line|circle)\b([^>]*?)\saria-label="([^"]*)"([^>]*?)\/>/g, (_m, tag: string, a: string, label: string, b: string) => {
    const attrs = `${a}${b}`.replace(/\s(role|aria-roledescription)="[^"]*"/g, '');
    return `<${tag}${attrs} class="tip"><title>${label}</title></${tag}>`;
  });
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

/**
 * Per-task training loss and validation metrics over epochs, one line per label (mean over seeds).
 * Single-task runs contribute only their own task. Linear axes, except a training loss spanning
 * more than 30× (log, said in its axis title).
 */
export function trainingCurveSpecs(b: Benchmark, runs: readonly RunRecord[], metrics: readonly EpochMetricRecord[], h: Highlight = highlightFor(b)): PlotSpec[] {
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
    const info = new Map<string, Panel>();
    const values = greyFirst(
      [...means].map(([k, v]) => {
        const [label, task, metric, epoch] = k.split(sep) as [string, string, string, string];
        const col = b.columns.find((c) => c.task === task && c.name === metric);
        const panel = split === 'train' ? `${task}: training loss` : `${task}: ${col?.label ?? metric}`;
        if (!info.has(panel)) info.set(panel, { name: panel, yTitle: split === 'train' ? 'loss (↓ better)' : `${col ? columnHeader(col) : metric}${betterText(col?.higherIsBetter)}` });
        return { label, series: seriesOf(h, label), panel, epoch: Number(epoch) + 1, value: v, tip: `${label}, epoch ${Number(epoch) + 1}: ${fmt(v)}` };
      }),
    );
    const ps = [...info.values()].map((p) => {
      if (split !== 'train') return p;
      const vs = values.filter((v) => v.panel === p.name).map((v) => v.value);
      const log = vs.every((v) => v > 0) && Math.max(...vs) / Math.min(...vs) > 30;
      return log ? { ...p, log, yTitle: 'loss, log scale (↓ better)' } : p;
    });
    const color = colorEncoding(h, [...new Set(values.map((v) => v.label))]);
    const x = { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 } };
    out.push({
      id: `curves-${split}`,
      title: split === 'train' ? 'Training loss per task' : 'Validation metrics per task',
      description: `${split === 'train' ? 'Epoch-mean training loss' : 'Validation-split metrics'} per task and optimizer, mean over seeds; ${h.labels.length} methods in colour, the rest grey.`,
      spec: {
        $schema: SCHEMA,
        title: split === 'train' ? 'Training loss per task (mean over seeds)' : 'Validation metrics per task (mean over seeds)',
        config: CONFIG,
        data: { values },
        ...panels(ps, (p) => ({ layer: seriesLayers(x, { field: 'value', type: 'quantitative', title: p.yTitle, scale: p.log ? { type: 'log' } : { zero: false } }, color) }), 3, 220, 150),
      } as TopLevelSpec,
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
    return { label, task, epoch: Number(epoch) + 1, weight: v, tip: `${label}, ${task}, epoch ${Number(epoch) + 1}: weight ${fmt(v)}` };
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
        layer: [
          { mark: { type: 'line', strokeWidth: 1.5 } },
          { mark: { type: 'point', filled: true, size: 14, aria: true }, encoding: { description: { field: 'tip', type: 'nominal' } } },
        ],
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
          y: { field: 'weight', type: 'quantitative', title: 'task weight (unitless)' },
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
  const values: { T: number; deltaM: number; lo: number; hi: number; series: string; tip: string }[] = measured.map((r) => {
    const d = r.deltaM!;
    const sd = d.std ?? 0;
    return { T: r.params.T as number, deltaM: d.mean, lo: d.mean - sd, hi: d.mean + sd, series: `measured${variants.size > 1 ? ` (${String(r.params.variant)})` : ''}, mean ± std`, tip: `${r.label}: Δm% ${d.mean.toFixed(2)}${d.std !== null ? ` ± ${d.std.toFixed(2)}` : ''} (${d.n} seed${d.n === 1 ? '' : 's'})` };
  });
  if (condition === 'clean') {
    for (const p of publishedTablesFor(b.task, 'methods')) {
      for (const r of p.rows) {
        if (r.method === 'ega' && typeof r.params?.T === 'number' && r.deltaM !== null) values.push({ T: r.params.T, deltaM: r.deltaM, lo: r.deltaM, hi: r.deltaM, series: `published (${p.caption.split(':')[0]})`, tip: `published EGA(T=${r.params.T}): Δm% ${r.deltaM}` });
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
        { mark: { type: 'line' }, encoding: { y: { field: 'deltaM', type: 'quantitative' } } },
        { mark: { type: 'point', filled: true, size: 40, aria: true }, encoding: { y: { field: 'deltaM', type: 'quantitative' }, description: { field: 'tip', type: 'nominal' } } },
      ],
    },
  };
}

interface DegradationPoint {
  label: string;
  series: string;
  panel: string;
  value: number;
  tip: string;
}

/** Metric degradation against SNR and against abrupt-noise duration (one line per method). */
export function degradationSpecs(b: Benchmark, h: Highlight = highlightFor(b)): PlotSpec[] {
  const entries = b.robustness.filter((e) => e.kind !== 'single-task');
  if (entries.length === 0) return [];
  const panelOf = (j: number): string => {
    const c = b.robustnessColumns[j]!;
    return `${c.task}: ${c.label}`;
  };
  const DM = 'Δm% vs clean';
  const allPanels: Panel[] = [...b.robustnessColumns.map((c, j) => ({ name: panelOf(j), yTitle: `${columnHeader(c)}${betterText(c.higherIsBetter)}` })), { name: DM, yTitle: 'Δm% vs clean (↑ better)' }];
  const points = (cond: { condition: string; metrics: readonly ({ mean: number } | null)[]; deltaM: { mean: number } | null }, label: string): DegradationPoint[] => [
    ...cond.metrics.flatMap((s, j) => (s ? [{ label, series: seriesOf(h, label), panel: panelOf(j), value: s.mean, tip: `${label}, ${cond.condition}: ${fmt(s.mean)}` }] : [])),
    ...(cond.deltaM ? [{ label, series: seriesOf(h, label), panel: DM, value: cond.deltaM.mean, tip: `${label}, ${cond.condition}: Δm% ${cond.deltaM.mean.toFixed(2)}` }] : []),
  ];
  const used = (values: readonly { panel: string }[]): Panel[] => allPanels.filter((p) => values.some((v) => v.panel === p.name));
  const color = colorEncoding(h, entries.map((e) => e.label));
  const out: PlotSpec[] = [];
  const snrConds = [...new Set(entries.flatMap((e) => e.conditions.map((c) => c.condition)))].filter((c) => /^snr/.test(c)).sort(compareConditions);
  if (snrConds.length) {
    const order = ['clean', ...snrConds];
    const xLabel = (c: string): string => (c === 'clean' ? 'clean' : `${/^snr(-?[\d.]+)dB$/.exec(c)?.[1] ?? c} dB`);
    const values = greyFirst(entries.flatMap((e) => e.conditions.filter((c) => order.includes(c.condition)).flatMap((c) => points(c, e.label).map((p) => ({ ...p, snr: xLabel(c.condition) })))));
    const x = { field: 'snr', type: 'ordinal' as const, title: 'SNR (dB, ← noisier)', sort: order.map(xLabel) };
    out.push({
      id: 'degradation-snr',
      title: 'Metrics against SNR',
      description: 'Test metrics of the selected epoch under constant Gaussian noise at decreasing SNR (mean over seeds), and Δm% against each method’s clean result.',
      spec: {
        $schema: SCHEMA,
        title: 'Degradation under constant noise (SNR)',
        config: CONFIG,
        data: { values },
        ...panels(used(values), (p) => ({ layer: seriesLayers(x, { field: 'value', type: 'quantitative', title: p.yTitle, scale: { zero: false } }, color) }), 3, 200, 140),
      } as TopLevelSpec,
    });
  }
  const abrupt = [...new Set(entries.flatMap((e) => e.conditions.map((c) => c.condition)))]
    .map((c) => ({ c, m: /^abrupt(\d+(?:\.\d+)?)s@(-?\d+(?:\.\d+)?)dB$/.exec(c) }))
    .filter((x): x is { c: string; m: RegExpExecArray } => x.m !== null);
  if (abrupt.length) {
    const levels = [...new Set(abrupt.map((a) => `${a.m[2]} dB`))];
    const values = greyFirst(
      entries.flatMap((e) =>
        e.conditions.flatMap((c) => {
          if (c.condition === 'clean') return levels.flatMap((level) => points(c, e.label).map((p) => ({ ...p, seconds: 0, level })));
          const a = abrupt.find((x) => x.c === c.condition);
          return a ? points(c, e.label).map((p) => ({ ...p, seconds: Number(a.m[1]), level: `${a.m[2]} dB` })) : [];
        }),
      ),
    );
    const x = { field: 'seconds', type: 'quantitative' as const, title: 'abrupt noise duration (s)', axis: { tickMinStep: 1 } };
    out.push({
      id: 'degradation-abrupt',
      title: 'Metrics against abrupt-noise duration',
      description: 'Test metrics under abrupt (body-movement) noise of increasing duration, per noise level (0 s = clean), mean over seeds; Δm% against each method’s clean result.',
      spec: {
        $schema: SCHEMA,
        title: 'Degradation under abrupt noise (duration, level)',
        config: CONFIG,
        data: { values },
        ...panels(used(values), (p) => ({ layer: seriesLayers(x, { field: 'value', type: 'quantitative', title: p.yTitle, scale: { zero: false } }, color, { strokeDash: { field: 'level', type: 'nominal', title: 'noise level' } }) }), 3, 200, 140),
      } as TopLevelSpec,
    });
  }
  return out;
}

/**
 * Cost beside quality: Δm% (mean, 95% Student-t interval over seeds where there are several)
 * against the measured median step time of each method (mean over its seeds), condition clean.
 */
export function costSpec(b: Benchmark, stepMs: ReadonlyMap<number, number>, runs: readonly RunRecord[], h: Highlight = highlightFor(b)): PlotSpec | null {
  const cond = b.conditions.find((c) => c.condition === 'clean') ?? b.conditions[0];
  if (!cond) return null;
  const used = new Set(b.runIds);
  const msByLabel = new Map<string, number[]>();
  for (const r of runs) {
    const ms = stepMs.get(r.id);
    if (!used.has(r.id) || ms === undefined) continue;
    const a = msByLabel.get(r.label) ?? [];
    a.push(ms);
    msByLabel.set(r.label, a);
  }
  const values = greyFirst(
    cond.rows
      .filter((r) => r.kind !== 'baseline' && r.kind !== 'single-task' && r.deltaM && msByLabel.has(r.label))
      .map((r) => {
        const ms = msByLabel.get(r.label)!;
        const step = ms.reduce((x, y) => x + y, 0) / ms.length;
        const d = r.deltaM!;
        const lo = d.ci95 ? d.ci95.lower : d.mean;
        const hi = d.ci95 ? d.ci95.upper : d.mean;
        return { label: r.label, series: seriesOf(h, r.label), step, deltaM: d.mean, lo, hi, name: h.labels.includes(r.label) ? r.label : '', tip: `${r.label}: Δm% ${d.mean.toFixed(2)}${d.ci95 ? ` [${lo.toFixed(2)}, ${hi.toFixed(2)}] 95% CI` : ''}, n=${d.n}; step ${step.toFixed(1)} ms` };
      }),
  );
  if (values.length === 0) return null;
  const color = colorEncoding(h, values.map((v) => v.label));
  const x = { field: 'step', type: 'quantitative' as const, title: 'median step time (ms, ← cheaper)', scale: { zero: false } };
  return {
    id: 'cost-quality',
    title: 'Cost beside quality',
    description: `Δm% (${cond.condition}; mean with its 95% interval over seeds) against the measured median training step time (mean over seeds), one point per method: up and to the left is better.`,
    spec: {
      $schema: SCHEMA,
      title: `Δm% against step time (${cond.condition})`,
      config: CONFIG,
      width: 520,
      height: 300,
      data: { values },
      layer: [
        { mark: { type: 'rule', strokeWidth: 1.2 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'Δm% (↑ better)' }, y2: { field: 'hi' }, color } },
        { mark: { type: 'point', filled: true, size: 50, aria: true }, encoding: { x, y: { field: 'deltaM', type: 'quantitative' }, color, description: { field: 'tip', type: 'nominal' } } },
        { mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 10 }, encoding: { x, y: { field: 'deltaM', type: 'quantitative' }, text: { field: 'name' } } },
      ],
    } as TopLevelSpec,
  };
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
    for (const [name, xs] of Object.entries(ex.series)) for (const p of decimate(xs, long ? 500 : 200)) if (Number.isFinite(p.v)) rows.push({ t: t(p.i), value: p.v, name, kind: 'series', example: ex.name, condition: ex.condition });
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
    { transform: [{ filter: "datum.kind === 'series'" }], mark: { type: 'line', strokeWidth: long ? 0.8 : 1.4 }, encoding: { x, y: { field: 'value', type: 'quantitative', title: units.size === 1 ? `amplitude (${[...units][0]!})` : 'value', scale: { zero: false } }, color } },
  ];
  if (hasMarkers) layer.push({ transform: [{ filter: "datum.kind === 'marker'" }], mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1, opacity: 0.85 }, encoding: { x, color } });
  const description = `Stored examples (${names.join(', ')}) under ${conditions.join(', ')}: ${seriesNames.join(', ')}${hasMarkers ? `; markers (dashed) ${markerNames.join(', ')}` : ''}.`;
  // One panel per stored (condition, example) pair: no empty frames.
  const pairs = conditions.flatMap((c) => names.filter((n) => examples.some((e) => e.condition === c && e.name === n)).map((n) => ({ c, n })));
  return {
    id,
    title,
    description,
    spec: {
      $schema: SCHEMA,
      title,
      config: CONFIG,
      data: { values: rows },
      concat: pairs.map((p) => ({
        title: { text: conditions.length > 1 ? `${p.n} (${p.c})` : p.n, fontSize: 11 },
        transform: [{ filter: `datum.condition === ${JSON.stringify(p.c)} && datum.example === ${JSON.stringify(p.n)}` }],
        width: long ? 760 : 260,
        height: long ? 110 : 130,
        layer,
      })),
      columns: long ? 1 : Math.min(3, pairs.length),
      resolve: { scale: { y: 'independent' } },
    } as TopLevelSpec,
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
    // Kept small: the clean condition (else the first stored), two single cycles and the long stretch.
    const all = examples.filter((e) => e.runId === run.id);
    const cond = all.some((e) => e.condition === 'clean') ? 'clean' : [...new Set(all.map((e) => e.condition))].sort(compareConditions)[0];
    const inCond = all.filter((e) => e.condition === cond);
    const shortNames = [...new Set(inCond.filter((e) => !isLong(e)).map((e) => e.name))].sort().slice(0, 2);
    const mine = inCond.filter((e) => isLong(e) || shortNames.includes(e.name));
    const short = examplesChart(mine.filter((e) => !isLong(e)), `examples-${run.id}-short`.replace(/[^A-Za-z0-9_-]+/g, '_'), `${run.label} (seed ${run.seed}): example cycles, reconstructed vs reference`, false);
    const long = examplesChart(mine.filter(isLong), `examples-${run.id}-long`.replace(/[^A-Za-z0-9_-]+/g, '_'), `${run.label} (seed ${run.seed}): long-term stretch with anchors`, true);
    const group = `${run.label} (seed ${run.seed})`;
    if (short) out.push({ ...short, group });
    if (long) out.push({ ...long, group });
  }
  return out;
}
