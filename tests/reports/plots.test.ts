import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
const tap = t;
import { compile } from 'vega-lite';
import { costSpec, decimate, deltaMVsTSpec, degradationSpecs, exampleSpecs, highlightFor, OTHERS, renderSvg, taskWeightSpec, trainingCurveSpecs, withTitles, type PlotSpec } from '../../reports/plots.js';
import { buildResults } from '../../reports/results.js';
import { openRecordReadOnly, readEpochMetrics, readEpochWeights, readExamples, snapshotFrom } from '../../reports/source.js';
import { makeHandDb } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-plots-'));
const file = join(dir, 'hand.sqlite');
makeHandDb(file);
const h = openRecordReadOnly(file);
const snap = snapshotFrom(h.db, file);
const b = buildResults(snap).benchmarks[0]!;
const metrics = readEpochMetrics(h.db, b.runIds);
const weights = readEpochWeights(h.db, b.runIds);
const examples = readExamples(h.db, b.runIds);
h.close();

/** Data marks (not axes) drawn in an SVG: children of role-mark groups. */
function dataMarks(svg: string): number {
  let n = 0;
  for (const m of svg.matchAll(/<g class="mark-[a-z]+ role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)) n += (m[1]!.match(/<(path|line|rect|circle)\b/g) ?? []).length;
  return n;
}

async function check(t: Pick<typeof tap, 'ok' | 'match'>, p: PlotSpec | null, name: string): Promise<string> {
  t.ok(p, `${name}: a spec`);
  if (!p) return '';
  const compiled = compile(p.spec);
  t.ok(compiled.spec && Array.isArray(compiled.spec.marks), `${name}: compiles to Vega`);
  const svg = await renderSvg(p.spec);
  t.match(svg, /^<svg[^>]*width="\d+"/, `${name}: an SVG`);
  t.ok(dataMarks(svg) > 0, `${name}: has data marks (${dataMarks(svg)})`);
  return svg;
}

t.test('training and validation curves per task and optimizer', async (t) => {
  const specs = trainingCurveSpecs(b, snap.runs, metrics);
  t.same(specs.map((s) => s.id), ['curves-train', 'curves-val']);
  const values = (specs[0]!.spec as { data: { values: { label: string; panel: string; epoch: number; value: number }[] } }).data.values;
  const ew = values.filter((v) => v.label === 'EW' && v.panel === 'A: training loss').sort((x, y) => x.epoch - y.epoch);
  // seed 0: 3, 2, 1; seed 1: 3.3, 2.2, 1.1 → means 3.15, 2.1, 1.05
  t.same(ew.map((v) => Number(v.value.toFixed(9))), [3.15, 2.1, 1.05]);
  t.notOk(values.some((v) => v.label === 'STL(A)' && v.panel.startsWith('B')), 'an STL run contributes its own task only');
  for (const s of specs) await check(t, s, s.id);
});

t.test('task weights over training', async (t) => {
  const p = taskWeightSpec(b, snap.runs, weights);
  const svg = await check(t, p, 'weights');
  const values = (p!.spec as { data: { values: { label: string }[] } }).data.values;
  t.notOk(values.some((v) => v.label.startsWith('STL')), 'no single-task panels');
  t.match(svg, /EW/);
});

t.test('Δm% against EGA T', async (t) => {
  const p = deltaMVsTSpec(b);
  await check(t, p, 'deltam-vs-T');
  const values = (p!.spec as { data: { values: { T: number; deltaM: number; series: string }[] } }).data.values;
  t.same(values.map((v) => v.T), [0.5, 1]);
  t.ok(Math.abs(values[1]!.deltaM - 25.863095238) < 1e-6);
});

t.test('degradation against SNR and abrupt-noise duration', async (t) => {
  const specs = degradationSpecs(b);
  t.same(specs.map((s) => s.id), ['degradation-snr', 'degradation-abrupt']);
  for (const s of specs) await check(t, s, s.id);
  const abrupt = (specs[1]!.spec as { data: { values: { label: string; seconds: number; panel: string; value: number }[] } }).data.values;
  t.ok(abrupt.some((v) => v.label === 'EW' && v.seconds === 2 && v.panel.startsWith('A') && v.value === 0.7));
  t.ok(abrupt.some((v) => v.seconds === 0), 'clean drawn at 0 s');
});

t.test('example signals: series as lines, markers as rules; long stretches decimated', async (t) => {
  const specs = exampleSpecs(b, snap.runs, examples);
  t.equal(specs.length, 2);
  const svg = await check(t, specs.find((s) => s.title.includes('long-term'))!, 'long-term');
  t.match(svg, /predicted anchors/);
  await check(t, specs.find((s) => s.title.includes('cycle'))!, 'cycle');
  const xs = Array.from({ length: 10000 }, (_, i) => Math.sin(i / 50) + (i === 4321 ? 5 : 0));
  const d = decimate(xs, 1000);
  t.ok(d.length <= 1000 && d.length > 900);
  t.ok(d.some((p) => p.i === 4321), 'the peak survives');
  t.same(decimate([1, 2, 3], 10).map((p) => p.v), [1, 2, 3]);
});

t.test('nothing to draw → no spec', async (t) => {
  t.equal(taskWeightSpec(b, snap.runs, []), null);
  t.same(trainingCurveSpecs(b, snap.runs, []), []);
  t.same(exampleSpecs(b, snap.runs, []), []);
});

t.test('highlighted series: EW, the two best by Δm%, the best EGA and the user’s; the rest grey', async (t) => {
  // Δm% (fixture): EGA(T=1) 25.86, CAGrad 23.75, EW 15, EGA(T=0.5) 1.64, PCGrad 0.
  t.same(highlightFor(b).labels, ['EW', 'EGA(T=1)', 'CAGrad(c=0.5, rescale=1)']);
  t.same(highlightFor(b, ['pcgrad', 'EGA(T=0.5)']).labels, ['EW', 'EGA(T=1)', 'CAGrad(c=0.5, rescale=1)', 'EGA(T=0.5)', 'PCGrad'], 'by method id or label');
  const specs = trainingCurveSpecs(b, snap.runs, metrics);
  for (const s of specs) {
    const values = (s.spec as unknown as { data: { values: { label: string; series: string; tip: string }[] } }).data.values;
    for (const v of values) t.equal(v.series, ['EW', 'EGA(T=1)', 'CAGrad(c=0.5, rescale=1)'].includes(v.label) ? v.label : OTHERS);
    t.ok(values.every((v) => v.tip.startsWith(`${v.label}, epoch `)), 'every point has a tooltip text');
    const svg = await renderSvg(s.spec);
    const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    t.equal(titles.length, values.filter((v) => v.series !== OTHERS).length, `${s.id}: one <title> per highlighted data point`);
    t.ok(titles.length > 0 && titles.every((x) => values.some((v) => v.tip === x && v.series !== OTHERS)), 'each title is a highlighted point’s text');
  }
  t.equal(withTitles('<svg><path aria-label="EW: 1" d="M0,0"/></svg>'), '<svg><path d="M0,0" class="tip"><title>EW: 1</title></path></svg>');
});

t.test('axes: linear for bounded metrics, each y axis titled with unit and direction, no empty panels', async (t) => {
  const specs = trainingCurveSpecs(b, snap.runs, metrics);
  const val = specs.find((s) => s.id === 'curves-val')!.spec as unknown as { concat: { title: { text: string }; layer: { encoding: { y: { title: string; scale?: { type?: string } } } }[] }[] };
  t.same(val.concat.map((c) => c.title.text), ['A: acc', 'B: err']);
  t.same(val.concat.map((c) => c.layer[0]!.encoding.y.title), ['acc (↑ better)', 'err (↓ better)']);
  t.ok(val.concat.every((c) => c.layer[0]!.encoding.y.scale?.type !== 'log'), 'linear');
  for (const s of degradationSpecs(b)) {
    const spec = s.spec as unknown as { data: { values: { panel: string }[] }; concat: { title: { text: string }; layer: { encoding: { y: { title: string } } }[] }[] };
    for (const c of spec.concat) {
      t.ok(spec.data.values.some((v) => v.panel === c.title.text), `${s.id}: panel ${c.title.text} has data`);
      t.match(c.layer[0]!.encoding.y.title, /better\)$/, 'direction on the axis');
    }
  }
});

t.test('cost beside quality: Δm% with its interval against the step time', async (t) => {
  const steps = new Map(snap.runs.map((r) => [r.id, 10 + r.id]));
  const p = costSpec(b, steps, snap.runs);
  await check(t, p, 'cost');
  const values = (p!.spec as unknown as { data: { values: { label: string; step: number; deltaM: number; lo: number; hi: number }[] } }).data.values;
  const ew = values.find((v) => v.label === 'EW')!;
  const ewRuns = snap.runs.filter((r) => r.label === 'EW' && b.runIds.includes(r.id));
  t.equal(ew.step, ewRuns.reduce((a, r) => a + 10 + r.id, 0) / ewRuns.length, 'mean over seeds of the step time');
  t.ok(Math.abs(ew.deltaM - 15) < 1e-9 && ew.lo < 15 && ew.hi > 15, 'Δm% mean inside its interval');
  t.notOk(values.some((v) => v.label.startsWith('STL') || v.label === 'Single-task baseline'), 'methods only');
  t.equal(costSpec(b, new Map(), snap.runs), null, 'no timings: no plot');
});
