/**
 * The HTML report: one self-contained file (inline CSS and SVG, no network, opens offline) with a
 * summary, the comparison and noise tables, the plots, run provenance and the runs that did not
 * complete. It reads only what has finished, so it can be made while a sweep is running.
 *
 * Tables scroll inside their container; data points of the plots carry tooltips (an SVG
 * `<title>` each, which a small inline script turns into a styled tooltip on hover); the example
 * reconstructions of every run with stored examples can be picked from a list. A hidden element,
 * `#report-status`, gets data attributes (plots present, plots drawn with marks and a non-zero
 * size, script errors caught by window.onerror) that the browser test reads.
 */
import { escapeHtml, renderHtmlTable, TABLE_CSS, type ExtraColumn } from './formats/html.js';
import { publishedTables } from './paper.js';
import { costSpec, deltaMVsTSpec, degradationSpecs, exampleSpecs, highlightFor, renderSvg, taskWeightSpec, trainingCurveSpecs, type PlotSpec } from './plots.js';
import { buildResults, type Benchmark, type IncompleteRun, type ResultsModel, type ResultsOptions } from './results.js';
import { openRecordReadOnly, readEpochMetrics, readEpochWeights, readExamples, readStepTimes, snapshotFrom, type RunRecord } from './source.js';
import { comparisonTable, robustnessTable } from './table.js';

export interface HtmlReportOptions extends ResultsOptions {
  /** Runs whose stored examples can be picked, per benchmark, best Δm% first (default 4). */
  readonly maxExampleRuns?: number;
  /** Labels or method ids drawn in colour besides EW, EGA and the two best by Δm%. */
  readonly highlight?: readonly string[];
  /** Show published paper rows beside measured ones (default true). */
  readonly published?: boolean;
}

export interface HtmlReport {
  readonly html: string;
  readonly model: ResultsModel;
  readonly plots: number;
  readonly plotErrors: readonly string[];
}

const CSS = `
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1280px; padding: 0 16px; color: #222; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 19px; margin-top: 36px; border-bottom: 1px solid #ccc; padding-bottom: 4px; }
h3 { font-size: 15px; margin-top: 24px; }
.meta { color: #555; font-size: 13px; }
.summary { background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: 6px; padding: 10px 14px; font-size: 14px; }
.warn { color: #8a5a00; } .bad { color: #b00020; }
figure.plot { margin: 12px 0 20px; overflow-x: auto; }
figure.plot figcaption { font-size: 12px; color: #444; margin-bottom: 4px; }
figure.plot.failed { border: 1px dashed #b00020; padding: 6px; }
table.plain { border-collapse: collapse; font-size: 13px; }
table.plain th, table.plain td { padding: 2px 10px 2px 0; text-align: left; vertical-align: top; border-bottom: 1px solid #eee; }
table.plain td.err { font-family: monospace; font-size: 12px; color: #b00020; white-space: pre-wrap; max-width: 760px; }
figure.plot svg { max-width: none; }
figure.examples select { font-size: 13px; margin-left: 6px; }
nav ul { font-size: 14px; }
#tip { position: absolute; z-index: 10; background: #222; color: #fff; font-size: 12px; padding: 3px 7px; border-radius: 3px; pointer-events: none; white-space: nowrap; }
`;

const ERROR_HOOK = `<script>window.__reportErrors=[];window.onerror=function(m){window.__reportErrors.push(String(m));};window.addEventListener('error',function(e){if(e&&e.target&&e.target!==window)window.__reportErrors.push('resource: '+(e.target.tagName||''));},true);</script>`;

const STATUS_SCRIPT = `<script>
(function () {
  function check() {
    var figs = document.querySelectorAll('figure.plot');
    var drawn = 0;
    for (var i = 0; i < figs.length; i++) {
      var svg = figs[i].querySelector('svg');
      if (!svg) continue;
      var box = svg.getBoundingClientRect();
      var marks = svg.querySelectorAll('g.role-mark > *').length;
      if (box.width > 0 && box.height > 0 && marks > 0) drawn++;
    }
    var errors = (window.__reportErrors || []).length;
    var el = document.getElementById('report-status');
    el.setAttribute('data-plots', String(figs.length));
    el.setAttribute('data-rendered', String(drawn));
    el.setAttribute('data-errors', String(errors));
    el.setAttribute('data-status', errors === 0 && drawn === figs.length ? 'ok' : 'failed');
  }
  try { check(); } catch (e) { (window.__reportErrors = window.__reportErrors || []).push(String(e)); }
  window.addEventListener('load', function () { try { check(); } catch (e) {} });
})();
</script>`;

/** Tooltips: each data point's <title> becomes data-tip, shown in one floating box on hover; the run picker of the examples. */
const UI_SCRIPT = `<script>
(function () {
  var tip = document.createElement('div');
  tip.id = 'tip';
  tip.setAttribute('role', 'tooltip');
  tip.hidden = true;
  document.body.appendChild(tip);
  var pts = document.querySelectorAll('figure.plot .tip');
  for (var i = 0; i < pts.length; i++) {
    var t = pts[i].querySelector('title');
    if (t) { pts[i].setAttribute('data-tip', t.textContent); t.parentNode.removeChild(t); }
  }
  function show(e) {
    var el = e.target && e.target.closest ? e.target.closest('[data-tip]') : null;
    if (!el) { tip.hidden = true; return; }
    tip.textContent = el.getAttribute('data-tip');
    tip.hidden = false;
    var r = el.getBoundingClientRect();
    tip.style.left = (r.right + window.scrollX + 8) + 'px';
    tip.style.top = (r.top + window.scrollY - 6) + 'px';
  }
  document.addEventListener('mouseover', show);
  document.addEventListener('focusin', show);
  var picks = document.querySelectorAll('select.example-pick');
  for (var j = 0; j < picks.length; j++) {
    picks[j].addEventListener('change', function (e) {
      var fig = e.target.closest('figure');
      var runs = fig.querySelectorAll('.example-run');
      for (var k = 0; k < runs.length; k++) runs[k].hidden = String(k) !== e.target.value;
    });
  }
})();
</script>`;

function list(xs: readonly (string | number)[]): string {
  return xs.length ? xs.map((x) => escapeHtml(String(x))).join(', ') : '<span class="meta">—</span>';
}

function provenanceHtml(b: Benchmark): string {
  const p = b.provenance;
  const rows: [string, string][] = [
    ['experiments', list(p.experiments)],
    ['git commit', list(p.gitCommits)],
    ['mtl-bench version', list(p.packageVersions)],
    ['Node.js', list(p.nodeVersions)],
    ['TF.js backend', list(p.backends)],
    ['dataset fingerprint', list(p.datasetFingerprints)],
    ['dataset', list(p.datasets)],
    ['seeds', list(p.seeds)],
    ['training noise / selection / epochs', escapeHtml(`${b.trainNoise} / ${b.selection} / ${b.epochs}`)],
    ['first run started', escapeHtml(p.firstStarted ?? '—')],
    ['last run ended', escapeHtml(p.lastEnded ?? '—')],
  ];
  const warn: string[] = [];
  if (p.gitCommits.length > 1) warn.push('runs come from several git commits');
  if (p.gitCommits.some((c) => c.endsWith('-dirty'))) warn.push('some runs come from a working tree with uncommitted changes (-dirty)');
  if (p.datasetFingerprints.length > 1) warn.push('runs used different datasets (fingerprints differ)');
  if (p.backends.length > 1) warn.push('runs used different backends');
  return `<table class="plain">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`).join('')}</table>${warn.length ? `<p class="warn">${warn.map(escapeHtml).join('; ')}.</p>` : ''}`;
}

function incompleteHtml(runs: readonly IncompleteRun[]): string {
  if (runs.length === 0) return '<p>Every run of this benchmark completed.</p>';
  return `<table class="plain"><tr><th>status</th><th>label</th><th>seed</th><th>epochs</th><th>error</th></tr>${runs
    .map((r) => `<tr><td class="${r.status === 'errored' || r.status === 'aborted' ? 'bad' : 'warn'}">${escapeHtml(r.status)}</td><td>${escapeHtml(r.label)}</td><td>${r.seed}</td><td>${r.epochsDone}/${r.epochs}</td><td class="err">${escapeHtml(r.error ?? '')}</td></tr>`)
    .join('')}</table><p class="meta">Not averaged into any table; running and pending runs appear once they complete.</p>`;
}

function summaryHtml(model: ResultsModel): string {
  const c = model.statusCounts;
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  const inFlight = c.running + c.pending;
  const parts = [
    `<b>${c.completed}</b> of ${total} runs completed`,
    ...(c.running ? [`<span class="warn">${c.running} running</span>`] : []),
    ...(c.pending ? [`<span class="warn">${c.pending} pending</span>`] : []),
    ...(c.errored ? [`<span class="bad">${c.errored} errored</span>`] : []),
    ...(c.aborted ? [`<span class="bad">${c.aborted} aborted</span>`] : []),
  ];
  const best = model.benchmarks.flatMap((b) => {
    const clean = b.conditions.find((x) => x.condition === 'clean') ?? b.conditions[0];
    const rows = (clean?.rows ?? []).filter((r) => r.kind !== 'baseline' && r.kind !== 'trivial' && r.deltaM);
    if (!rows.length) return [];
    const top = rows.reduce((a, r) => (r.deltaM!.mean > a.deltaM!.mean ? r : a));
    const p = top.pairedVsEW;
    const vsEw = p?.ci ? `; ${p.mean! >= 0 ? '+' : ''}${p.mean!.toFixed(2)} pp vs ${escapeHtml(clean!.resolution.reference!)}, 95% paired interval [${p.ci.lower.toFixed(2)}, ${p.ci.upper.toFixed(2)}]${p.excludesZero ? '' : ', not distinguishable from it'}` : '';
    return [`<li>${escapeHtml(b.id)}: best Δm% in ${escapeHtml(clean!.condition)} is <b>${escapeHtml(top.label)}</b> (${top.deltaM!.mean.toFixed(2)}%${top.deltaM!.std !== null ? ` ± ${top.deltaM!.std.toFixed(2)}` : ''}, ${top.deltaM!.n} seed${top.deltaM!.n === 1 ? '' : 's'}) of ${rows.length} methods${vsEw}</li>`];
  });
  return `<div class="summary"><p>${parts.join(', ')}.${inFlight ? ' <span class="warn">The sweep is still in progress: this report shows what had finished when it was made.</span>' : ''}</p>${best.length ? `<ul>${best.join('')}</ul>` : '<p>No completed method runs with a Δm% yet.</p>'}</div>`;
}

async function figure(p: PlotSpec, errors: string[]): Promise<string> {
  try {
    const svg = await renderSvg(p.spec);
    return `<figure class="plot" id="${escapeHtml(p.id)}"><figcaption><b>${escapeHtml(p.title)}.</b> ${escapeHtml(p.description)}</figcaption>${svg}</figure>`;
  } catch (e) {
    const msg = `${p.id}: ${(e as Error).message}`;
    errors.push(msg);
    return `<figure class="plot failed" id="${escapeHtml(p.id)}"><figcaption><b>${escapeHtml(p.title)}</b>: could not be rendered: ${escapeHtml((e as Error).message)}</figcaption></figure>`;
  }
}

async function svgOrError(p: PlotSpec, errors: string[]): Promise<string> {
  try {
    return await renderSvg(p.spec);
  } catch (e) {
    errors.push(`${p.id}: ${(e as Error).message}`);
    return `<p class="bad">${escapeHtml(p.title)}: could not be rendered: ${escapeHtml((e as Error).message)}</p>`;
  }
}

/** The example signals of several runs as one figure with a run picker (the first run shown without script). */
async function examplesFigure(id: string, specs: readonly PlotSpec[], errors: string[]): Promise<string> {
  const groups: string[] = [];
  for (const p of specs) if (!groups.includes(p.group ?? p.title)) groups.push(p.group ?? p.title);
  const parts: string[] = [];
  for (const [i, g] of groups.entries()) {
    const svgs: string[] = [];
    for (const p of specs.filter((x) => (x.group ?? x.title) === g)) svgs.push(await svgOrError(p, errors));
    parts.push(`<div class="example-run"${i === 0 ? '' : ' hidden'}>${svgs.join('\n')}</div>`);
  }
  const select = `<select class="example-pick" aria-label="run">${groups.map((g, i) => `<option value="${i}">${escapeHtml(g)}</option>`).join('')}</select>`;
  return `<figure class="plot examples" id="${escapeHtml(id)}"><figcaption><b>Reconstructions.</b> Stored example signals (reconstructed against reference, predicted anchors against reference R peaks) of the run picked here, runs in order of Δm%: ${select}</figcaption>${parts.join('\n')}</figure>`;
}

/** The measured step time of each label (mean over its seeds of the median step, ms) for the HTML table. */
function stepColumn(b: Benchmark, runs: readonly RunRecord[], steps: ReadonlyMap<number, number>): ExtraColumn {
  const used = new Set(b.runIds);
  const acc = new Map<string, number[]>();
  for (const r of runs) {
    const ms = steps.get(r.id);
    if (!used.has(r.id) || ms === undefined) continue;
    acc.set(r.label, [...(acc.get(r.label) ?? []), ms]);
  }
  const values = new Map([...acc].map(([l, v]) => [l, (v.reduce((x, y) => x + y, 0) / v.length).toFixed(v.reduce((x, y) => x + y, 0) / v.length >= 100 ? 0 : 1)]));
  return { header: 'step (ms)', title: 'median training step time, mean over seeds (ms), measured on the backend in the provenance', values };
}

function anchor(s: string): string {
  return `b-${s.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** Build the report of a record (read-only; tolerant of a sweep writing to it). */
export async function buildHtmlReport(file: string, opts: HtmlReportOptions = {}): Promise<HtmlReport> {
  const h = openRecordReadOnly(file);
  let model: ResultsModel;
  let runs: readonly RunRecord[];
  const perBenchmark: PlotSpec[][] = [];
  const exampleSpecsOf: PlotSpec[][] = [];
  const stepColumns: ExtraColumn[] = [];
  try {
    const snap = snapshotFrom(h.db, file);
    runs = snap.runs;
    model = buildResults(snap, opts);
    for (const b of model.benchmarks) {
      const metrics = readEpochMetrics(h.db, b.runIds);
      const weights = readEpochWeights(h.db, b.runIds);
      const examples = readExamples(h.db, b.runIds);
      const steps = readStepTimes(h.db, b.runIds);
      const hl = highlightFor(b, opts.highlight ?? []);
      const specs: PlotSpec[] = [...trainingCurveSpecs(b, runs, metrics, hl)];
      const cost = costSpec(b, steps, runs, hl);
      if (cost) specs.push(cost);
      const w = taskWeightSpec(b, runs, weights);
      if (w) specs.push(w);
      const t = deltaMVsTSpec(b);
      if (t) specs.push(t);
      specs.push(...degradationSpecs(b, hl));
      perBenchmark.push(specs);
      exampleSpecsOf.push(exampleSpecs(b, runs, examples, opts.maxExampleRuns ?? 2));
      stepColumns.push(stepColumn(b, runs, steps));
    }
  } finally {
    h.close();
  }
  const plotErrors: string[] = [];
  const sections: string[] = [];
  let plots = 0;
  for (const [i, b] of model.benchmarks.entries()) {
    const parts: string[] = [`<section id="${anchor(b.id)}"><h2>${escapeHtml(b.taskDisplayName)}: ${escapeHtml(b.id)}</h2>`];
    parts.push('<h3>Results</h3>');
    if (b.conditions.length === 0) parts.push('<p class="warn">No completed runs with final metrics yet.</p>');
    for (const c of b.conditions) parts.push(renderHtmlTable(comparisonTable(b, c, { published: opts.published !== false }), stepColumns[i]));
    if (b.robustness.length) {
      parts.push('<h3>Under noise</h3>', renderHtmlTable(robustnessTable(b, { published: opts.published !== false })));
    }
    const specs = perBenchmark[i] ?? [];
    const ex = exampleSpecsOf[i] ?? [];
    if (specs.length || ex.length) {
      parts.push('<h3>Plots</h3>', `<p class="meta">Coloured: ${escapeHtml(highlightFor(b, opts.highlight ?? []).labels.join(', ') || '—')}; other methods grey. Hover over a point for its values.</p>`);
      for (const p of specs) parts.push(await figure(p, plotErrors));
      plots += specs.length;
      if (ex.length) {
        parts.push(await examplesFigure(`examples-${anchor(b.id)}`, ex, plotErrors));
        plots++;
      }
    }
    parts.push('<h3>Provenance</h3>', provenanceHtml(b));
    parts.push('<h3>Failed and incomplete runs</h3>', incompleteHtml(b.incomplete));
    parts.push('</section>');
    sections.push(parts.join('\n'));
  }
  const pubs = publishedTables().filter((p) => model.benchmarks.some((b) => b.task === p.benchmark));
  const pubHtml = pubs.length
    ? `<section id="published"><h2>Published reference numbers</h2><ul>${pubs.map((p) => `<li><b>${escapeHtml(p.caption)}</b>: ${escapeHtml(p.source.document)}; ${escapeHtml(p.source.slide)}; ${p.notes.map(escapeHtml).join(' ')}</li>`).join('')}</ul></section>`
    : '';
  const nav = model.benchmarks.length > 1 ? `<nav><ul>${model.benchmarks.map((b) => `<li><a href="#${anchor(b.id)}">${escapeHtml(b.id)}</a></li>`).join('')}</ul></nav>` : '';
  const html = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>mtl-bench report: ${escapeHtml(file)}</title>`,
    ERROR_HOOK,
    `<style>${CSS}${TABLE_CSS}</style>`,
    '</head>',
    '<body>',
    '<h1>mtl-bench report</h1>',
    `<p class="meta">Record <code>${escapeHtml(file)}</code> (schema v${model.schemaVersion}), made ${escapeHtml(model.generatedAt)}.</p>`,
    summaryHtml(model),
    nav,
    model.benchmarks.length === 0 ? '<p class="warn">The record holds no runs.</p>' : '',
    ...sections,
    pubHtml,
    '<div id="report-status" hidden data-status="pending"></div>',
    UI_SCRIPT,
    STATUS_SCRIPT,
    '</body>',
    '</html>',
    '',
  ].join('\n');
  return { html, model, plots, plotErrors };
}
