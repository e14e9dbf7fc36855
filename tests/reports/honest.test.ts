/**
 * Tables that cannot flatter a model, on a radar-ECG record (the task's declared metrics and floors):
 * trivial-predictor rows as a labelled group, never ranked, with the † mark on trained cells that
 * do not beat them; seeds with an undefined metric shown as n=k/N and never ranked; the Δm% floor
 * rule (a baseline PCC of −0.0169 in one seed leaves PCC out of every row's Δm%, flagged with ‡).
 *
 * Seeds 0, 1, 2; values (rmseMv, pcc, ppiErrorMs, timingErrorMs, mdrPercent), null = undefined:
 *   STL(shape) rmse 0.20 0.22 0.21, pcc 0.30 −0.0169 0.25; STL(ppi) 40 42 38; STL(anchor) timing 12 14 13, MDR 20 25 22
 *   Trivial: training mean  [0.188, 0.907, 60, 20, 50] every seed (epochs 0, as the runner stores them)
 *   Trivial: prior class    [0.25, 0.5, 33.7, 25, 60]
 *   EW      seed 0 [0.17, 0.5, 30, 5, 15], seed 1 [0.18, 0.6, 32, null, 18], seed 2 [0.16, 0.55, 31, 6, 16]
 *   DB-MTL  [0.19, 0.6, 35, 9, 20], [0.2, 0.65, 36, 9.5, 21], [0.21, 0.62, 34, 8.5, 19]
 *   GradVac [0.18, 0.7, 33, 11, 17] every seed
 *   CAGrad  seeds 0, 1 [0.175, 0.8, 31, 10, 16]; seed 2 evaluated but every value null
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openDb } from '../../src/run/db.js';
import { renderHtmlTable } from '../../reports/formats/html.js';
import { getFormat } from '../../reports/formats/index.js';
import { buildHtmlReport } from '../../reports/html-report.js';
import { buildResults, type ResultsModel } from '../../reports/results.js';
import { readSnapshot } from '../../reports/source.js';
import { comparisonTable, robustnessTable, type Table, type TableRow } from '../../reports/table.js';
import { near } from '../helpers/near.js';
import { htmlProblems, latexBraceDepthOk, latexCells, parseCsv } from './checks.js';
import { insertRuns, type HandRun } from './fixture.js';

const KEYS = ['shape/rmseMv', 'shape/pcc', 'ppi/ppiErrorMs', 'anchor/timingErrorMs', 'anchor/mdrPercent'] as const;
type Vec = readonly (number | null)[];

const dir = mkdtempSync(join(tmpdir(), 'mtl-honest-'));

function evalsOf(v: Vec, only?: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  KEYS.forEach((k, i) => {
    if ((only === undefined || only.includes(i)) && v[i] !== null) out[k] = v[i]!;
  });
  return out;
}

interface Spec {
  label: string;
  method: string;
  params?: Record<string, unknown>;
  singleTask?: number;
  perSeed: Vec[];
  only?: number[];
  /** Values under snr0dB, per seed. */
  noisy?: Vec[];
}

const SPECS: Spec[] = [
  { label: 'STL(shape)', method: 'single-task', singleTask: 0, only: [0, 1], perSeed: [[0.2, 0.3], [0.22, -0.0169], [0.21, 0.25]] },
  { label: 'STL(ppi)', method: 'single-task', singleTask: 1, only: [2], perSeed: [[0, 0, 40], [0, 0, 42], [0, 0, 38]] },
  { label: 'STL(anchor)', method: 'single-task', singleTask: 2, only: [3, 4], perSeed: [[0, 0, 0, 12, 20], [0, 0, 0, 14, 25], [0, 0, 0, 13, 22]] },
  { label: 'Trivial: training mean', method: 'trivial', params: { predictor: 'mean-cycle' }, perSeed: [0, 1, 2].map(() => [0.188, 0.907, 60, 20, 50]) },
  { label: 'Trivial: prior class', method: 'trivial', params: { predictor: 'prior-ppi' }, perSeed: [0, 1, 2].map(() => [0.25, 0.5, 33.7, 25, 60]) },
  { label: 'EW', method: 'ew', perSeed: [[0.17, 0.5, 30, 5, 15], [0.18, 0.6, 32, null, 18], [0.16, 0.55, 31, 6, 16]] },
  { label: 'DB-MTL', method: 'db-mtl', perSeed: [[0.19, 0.6, 35, 9, 20], [0.2, 0.65, 36, 9.5, 21], [0.21, 0.62, 34, 8.5, 19]] },
  { label: 'GradVac', method: 'gradvac', perSeed: [0, 1, 2].map(() => [0.18, 0.7, 33, 11, 17]) },
  { label: 'CAGrad', method: 'cagrad', perSeed: [[0.175, 0.8, 31, 10, 16], [0.175, 0.8, 31, 10, 16], [null, null, null, null, null]] },
];

/** Write the record; `edit` may change values first (baseline variants). Undefined metrics are stored as NULL rows. */
function makeRecord(name: string, edit?: (s: Spec[]) => Spec[]): string {
  const file = join(dir, name);
  const specs = edit ? edit(structuredClone(SPECS)) : SPECS;
  const runs: HandRun[] = specs.flatMap((s) =>
    s.perSeed.map((v, seed) => ({ label: s.label, method: s.method, params: s.params ?? {}, singleTask: s.singleTask ?? null, seed, evals: { clean: evalsOf(v, s.only), ...(s.noisy ? { snr0dB: evalsOf(s.noisy[seed]!, s.only) } : {}) } })),
  );
  const db = openDb(file);
  try {
    const ids = insertRuns(db, runs, { task: 'radar-ecg', preset: 'ci' });
    const nul = db.prepare("INSERT INTO evaluations (run_id, condition, split, task, metric, value) VALUES (?, 'clean', 'test', ?, ?, NULL)");
    let i = 0;
    for (const s of specs) {
      for (const v of s.perSeed) {
        const id = ids[i++]!;
        KEYS.forEach((k, j) => {
          if ((s.only === undefined || s.only.includes(j)) && v[j] === null) nul.run(id, ...(k.split('/') as [string, string]));
        });
      }
    }
    // Trivial predictors as the runner stores them: no training, no curves, no weights.
    db.exec("UPDATE runs SET epochs = 0, epochs_done = 0, best_epoch = NULL WHERE method = 'trivial'");
    db.exec("DELETE FROM epoch_metrics WHERE run_id IN (SELECT id FROM runs WHERE method = 'trivial')");
    db.exec("DELETE FROM task_weights WHERE run_id IN (SELECT id FROM runs WHERE method = 'trivial')");
  } finally {
    db.close();
  }
  return file;
}

const file = makeRecord('honest.sqlite');
const model: ResultsModel = buildResults(readSnapshot(file));
const b = model.benchmarks[0]!;
const clean = b.conditions[0]!;
const table = comparisonTable(b, clean, { published: false });
const rows = (tb: Table): TableRow[] => tb.sections.flatMap((s) => s.rows);
const rowOf = (label: string): TableRow => rows(table).find((r) => r.label === label)!;
const col = (id: string): number => table.columns.findIndex((c) => c.id === id);
const trained = (r: TableRow): boolean => r.kind !== 'trivial' && !r.published;

t.test('trivial rows join the trained runs’ benchmark as a labelled group, before the methods', async (t) => {
  t.equal(model.benchmarks.length, 1, 'epochs 0 does not split them off');
  t.same(table.sections.map((s) => s.title), [null, 'Trivial predictors', 'Loss balancing methods', 'Gradient balancing methods']);
  t.same(table.sections[1]!.rows.map((r) => r.label), ['Trivial: training mean', 'Trivial: prior class']);
  t.ok(table.sections[1]!.rows.every((r) => r.kind === 'trivial' && r.seeds === 3));
  // They get Δm% like any row (PCC left out, see below): training mean by hand, seed 0 against seed 0's baseline.
  const tm = clean.rows.find((r) => r.label === 'Trivial: training mean')!;
  const seed0 = (100 * ((0.2 - 0.188) / 0.2 + (40 - 60) / 40 + ((12 - 20) / 12 + (20 - 50) / 20) / 2)) / 3;
  t.ok(...near(tm.deltaM!.values[0]!, seed0, 1e-9, 'trivial Δm% seed 0'));
});

t.test('trivial rows and cells missing seeds are never ranked; ranks are right among the rest', async (t) => {
  for (const r of rows(table)) {
    r.cells.forEach((c, j) => {
      if (r.kind === 'trivial' || c.n < c.of) t.equal(c.mark, null, `${r.label} / ${table.columns[j]!.id} not ranked`);
    });
  }
  // Property: per column, the best mark goes to the best complete, trained, non-baseline cell.
  table.columns.forEach((c, j) => {
    const cands = rows(table).filter((r) => trained(r) && r.kind !== 'baseline' && r.cells[j]!.n === r.seeds && r.cells[j]!.mean !== null);
    if (cands.length < 2) return;
    const best = cands.reduce((a, r) => ((c.higherIsBetter ? r.cells[j]!.mean! > a.cells[j]!.mean! : r.cells[j]!.mean! < a.cells[j]!.mean!) ? r : a));
    t.equal(best.cells[j]!.mark, 'best', `${c.id}: ${best.label}`);
  });
  // By hand: PCC is highest for the training mean (0.907), yet the best mark goes to GradVac (0.70; CAGrad's 0.80 averages 2 of 3).
  t.equal(rowOf('GradVac').cells[col('shape.pcc')]!.mark, 'best');
  // EW's timing error (5.5 ms over seeds 0 and 2) is the lowest, but seed 1 is undefined: DB-MTL (9 ms) is best.
  const ewTiming = rowOf('EW').cells[col('anchor.timingErrorMs')]!;
  t.same([ewTiming.n, ewTiming.of, ewTiming.mark], [2, 3, null]);
  t.equal(rowOf('DB-MTL').cells[col('anchor.timingErrorMs')]!.mark, 'best');
});

t.test('n=k/N: an undefined metric is a failure that is shown, never a dropped seed', async (t) => {
  const ew = rowOf('EW');
  t.equal(ew.seeds, 3);
  t.match(ew.cells[col('anchor.timingErrorMs')]!.text, /^5\.50 ± 0\.71 \(n=2\/3\)$/);
  t.ok(ew.cells[col('anchor.timingErrorMs')]!.flags.includes('partial'));
  t.match(ew.cells[col('deltaM')]!.text, /\(n=2\/3\)$/, 'EW’s Δm% is undefined for seed 1 and says so');
  // A seed whose every value is NULL still counts.
  const ca = rowOf('CAGrad');
  t.equal(ca.seeds, 3);
  const metricCells = (r: TableRow) => r.cells.filter((_, j) => table.columns[j]!.id !== 'deltaM_vs_EW');
  t.ok(metricCells(ca).every((c) => c.n === 2 && c.text.endsWith('(n=2/3)')), 'CAGrad: every cell 2 of 3');
  // CAGrad's Δm% has seeds 0 and 1, EW's seeds 0 and 2: one shared seed, no interval.
  t.same([ca.cells[col('deltaM_vs_EW')]!.text, ca.cells[col('deltaM_vs_EW')]!.n], ['n/a (1 seed)', 1]);
  // Property over the whole table: no cell claims more seeds than it averages (the paired column
  // has its own seed rule: tests/reports/paired.test.ts).
  for (const r of rows(table).filter(trained)) {
    for (const c of metricCells(r)) {
      t.ok(c.n <= r.seeds);
      t.equal(c.flags.includes('partial'), c.n < r.seeds, `${r.label}: partial flag iff n < N`);
      t.equal(/\(n=\d+\/\d+\)$/.test(c.text), c.n < r.seeds);
    }
  }
  t.match(table.spec.join('\n'), /n=k\/N: the cell averages k of the row’s N seeds/);
});

t.test('† on trained cells that do not beat the best trivial row, with the trivial value in the footnote', async (t) => {
  // Independent check: best trivial per column, then every trained cell.
  const triv = rows(table).filter((r) => r.kind === 'trivial');
  let flagged = 0;
  table.columns.forEach((c, j) => {
    if (c.task === '') return;
    const tv = triv.map((r) => r.cells[j]!.mean!);
    const best = c.higherIsBetter ? Math.max(...tv) : Math.min(...tv);
    for (const r of rows(table).filter(trained)) {
      const m = r.cells[j]!.mean;
      if (m === null) continue;
      const beats = c.higherIsBetter ? m > best : m < best;
      t.equal(r.cells[j]!.flags.includes('not-beating-trivial'), !beats, `${r.label} / ${c.id}`);
      t.equal(r.cells[j]!.text.includes('†'), !beats);
      if (!beats) flagged++;
    }
    for (const r of triv) t.notOk(r.cells[j]!.flags.includes('not-beating-trivial'));
  });
  t.ok(flagged >= 8, `${flagged} cells flagged`);
  // By hand: DB-MTL's RMSE 0.200 > 0.188 and PPI 35 > 33.7; every PCC (< 0.907); the baseline's PPI 40.
  t.ok(rowOf('DB-MTL').cells[col('shape.rmseMv')]!.text.includes('†'));
  t.ok(rowOf('DB-MTL').cells[col('ppi.ppiErrorMs')]!.text.includes('†'));
  t.notOk(rowOf('EW').cells[col('shape.rmseMv')]!.text.includes('†'));
  t.ok(rowOf('Single-task baseline').cells[col('ppi.ppiErrorMs')]!.text.includes('†'));
  const foot = table.spec.find((l) => l.startsWith('†'))!;
  t.match(foot, /best trivial: RMSE \(mV\) 0\.188 \(Trivial: training mean\), PCC \(%\) 90\.7 \(Trivial: training mean\), PPI Error \(ms\) 33\.7 \(Trivial: prior class\)/);
});

t.test('Δm% floor rule: a negative baseline PCC in one seed leaves PCC out of every row, flagged ‡', async (t) => {
  t.same(clean.deltaM.excluded.map((e) => [e.task, e.name, e.baseline, e.reason]), [['shape', 'pcc', -0.0169, 'non-positive']]);
  t.ok(clean.deltaM.available);
  // EW seed 0 by hand without PCC: shape (0.2 − 0.17)/0.2, PPI (40 − 30)/40, anchor ((12 − 5)/12 + (20 − 15)/20)/2.
  const ew = clean.rows.find((r) => r.label === 'EW')!;
  t.ok(...near(ew.deltaM!.values[0]!, (100 * (0.15 + 0.25 + (7 / 12 + 0.25) / 2)) / 3, 1e-9, 'EW seed 0'));
  t.same(ew.deltaM!.seeds, [0, 2]);
  // Against seed 1's PCC −0.0169 the PCC term alone would be (0.6 + 0.0169)/−0.0169 ≈ −3650 %; no row comes near.
  for (const r of clean.rows) for (const v of r.deltaM?.values ?? []) t.ok(Math.abs(v) < 100, `${r.label}: ${v.toFixed(2)}`);
  for (const r of rows(table).filter(trained)) {
    const c = r.cells[col('deltaM')]!;
    if (c.mean !== null) t.ok(c.text.includes('‡') && c.flags.includes('deltam-excluded'), `${r.label} Δm% marked`);
  }
  const spec = table.spec.join('\n');
  t.match(spec, /Floor rule: .*floors: shape\.rmseMv 0\.01, shape\.pcc 0\.1, ppi\.ppiErrorMs 1, anchor\.timingErrorMs 1, anchor\.mdrPercent 1/);
  t.match(spec, /‡ Δm% here leaves out shape\.pcc \(baseline -0\.0169 ≤ 0, a relative change against a non-positive value is meaningless\)/);
});

t.test('Δm% floor rule: a whole task left out, then nothing left', async (t) => {
  // STL(anchor) seed 2: timing 0.5 ms (below 1 ms), MDR 0 %: the anchor task drops out.
  const anchorOut = makeRecord('anchor-out.sqlite', (s) => s.map((x) => (x.label === 'STL(anchor)' ? { ...x, perSeed: [x.perSeed[0]!, x.perSeed[1]!, [0, 0, 0, 0.5, 0]] } : x)));
  const m = buildResults(readSnapshot(anchorOut));
  const c = m.benchmarks[0]!.conditions[0]!;
  t.same(c.deltaM.excluded.map((e) => `${e.task}.${e.name}:${e.reason}`), ['shape.pcc:non-positive', 'anchor.timingErrorMs:below-floor', 'anchor.mdrPercent:non-positive']);
  t.same(c.deltaM.droppedTasks, ['anchor']);
  const ew = c.rows.find((r) => r.label === 'EW')!;
  t.ok(...near(ew.deltaM!.values[0]!, (100 * (0.15 + 0.25)) / 2, 1e-9, 'EW seed 0 over shape and PPI'));
  t.same(ew.deltaM!.seeds, [0, 1, 2], 'EW seed 1’s undefined timing no longer matters');
  const spec = comparisonTable(m.benchmarks[0]!, c, { published: false }).spec.join('\n');
  t.match(spec, /Every metric of task anchor is left out: Δm% averages over the remaining tasks \(shape, ppi\)/);
  // Every baseline value non-positive: no Δm% at all, and the reason.
  const allOut = makeRecord('all-out.sqlite', (s) => s.map((x) => (x.method === 'single-task' ? { ...x, perSeed: x.perSeed.map((v) => v.map(() => 0)) } : x)));
  const m2 = buildResults(readSnapshot(allOut));
  const c2 = m2.benchmarks[0]!.conditions[0]!;
  t.equal(c2.deltaM.available, false);
  t.ok(c2.rows.every((r) => r.deltaM === null));
  const t2 = comparisonTable(m2.benchmarks[0]!, c2, { published: false });
  t.match(t2.spec.join('\n'), /Δm%: unavailable: every metric's baseline fails the floor rule \(shape\.rmseMv \(baseline 0 ≤ 0/);
  t.ok(rows(t2).every((r) => r.cells[col('deltaM')]!.text.startsWith('—')));
});

t.test('every format shows the trivial group, †, ‡ and n=k/N; CSV carries n and flags', async (t) => {
  const md = getFormat('md').render([table]);
  const lines = md.split('\n');
  const at = (s: string): number => lines.findIndex((l) => l.startsWith(s));
  t.ok(at('| Single-task baseline') < at('| *Trivial predictors*') && at('| *Trivial predictors*') < at('| Trivial: training mean') && at('| Trivial: prior class') < at('| *Loss balancing methods*'));
  t.notMatch(lines.filter((l) => l.startsWith('| Trivial:')).join('\n'), /\*\*|<u>/, 'no marks on trivial rows');
  t.match(md, /\| EW \| [^|]+ \| 55\.00 ± 5\.00† \|/);
  t.match(md, /5\.50 ± 0\.71 \(n=2\/3\)/);
  t.match(md, /- † the mean does not beat the best trivial predictor/);
  t.match(md, /- ‡ Δm% here leaves out shape\.pcc/);

  const html = renderHtmlTable(table);
  t.same(htmlProblems(html), []);
  t.match(html, /<tr class="section"><th colspan="8" scope="colgroup">Trivial predictors<\/th><\/tr>/);
  t.match(html, /<tr class="kind-trivial"><th scope="row">Trivial: training mean<\/th>/);
  t.match(html, /<td class="not-beating-trivial" title="n=3\/3, 95% CI \[[^\]]+\]; does not beat Trivial: training mean \(0\.907\)">55\.00 ± 5\.00†<\/td>/);
  t.match(html, /<td class="partial" title="n=2\/3, 95% CI \[[^\]]+\]; averages 2 of 3 seeds: the others are undefined">5\.50 ± 0\.71 \(n=2\/3\)<\/td>/);
  t.match(html, /class="deltam-excluded" title="[^"]*Δm% without shape\.pcc \(floor rule\)"/);

  const tex = getFormat('latex').render([table]);
  t.ok(latexBraceDepthOk(tex));
  t.match(tex, /\\multicolumn\{8\}\{l\}\{\\textit\{Trivial predictors\}\} \\\\/);
  t.match(tex, /EW & .* & 55\.00 \$\\pm\$ 5\.00\{\\dag\} & /);
  t.match(tex, /5\.50 \$\\pm\$ 0\.71 \(n=2\/3\)/);
  t.match(tex, /\{\\ddag\} \$\\Delta\$m\\% here leaves out/);
  for (const l of tex.split('\n').filter((x) => /^(EW|Trivial|DB-MTL|CAGrad|GradVac|Single)/.test(x))) t.equal(latexCells(l).length, 8, l);

  const recs = parseCsv(getFormat('csv').render([table]));
  const head = recs[0]!;
  const get = (label: string, field: string): string => recs.find((r) => r[2] === label)![head.indexOf(field)]!;
  t.equal(get('EW', 'seeds'), '3');
  t.equal(get('EW', 'anchor.timingErrorMs:n'), '2');
  t.equal(get('EW', 'anchor.timingErrorMs:flags'), 'partial');
  t.equal(get('EW', 'anchor.timingErrorMs'), '5.5');
  t.equal(get('EW', 'shape.pcc:flags'), 'not-beating-trivial');
  t.match(get('EW', 'deltaM:flags'), /deltam-excluded/);
  t.equal(get('Trivial: training mean', 'section'), 'Trivial predictors');
  t.equal(get('Trivial: training mean', 'kind'), 'trivial');
  // Property: in every row, n never exceeds seeds, and `partial` is there exactly when n < seeds.
  for (const r of recs.slice(1)) {
    for (const c of table.columns.filter((x) => x.id !== 'deltaM_vs_EW')) {
      const n = r[head.indexOf(`${c.id}:n`)]!;
      if (n === '') continue;
      t.ok(Number(n) <= Number(r[head.indexOf('seeds')]));
      t.equal(r[head.indexOf(`${c.id}:flags`)]!.split(' ').includes('partial'), Number(n) < Number(r[head.indexOf('seeds')]));
    }
    if (r[head.indexOf('kind')] === 'trivial') t.ok(table.columns.every((c) => r[head.indexOf(`${c.id}:mark`)] === ''), 'trivial never marked');
  }
});

t.test('the HTML report shows the trivial group and never names a trivial row best', async (t) => {
  // A trivial row with the highest Δm% of all (a strong prior): the summary still names a method.
  const strong = makeRecord('strong-prior.sqlite', (x) => x.map((r) => (r.label === 'Trivial: prior class' ? { ...r, perSeed: r.perSeed.map(() => [0.1, 0.95, 10, 2, 2]) } : r)));
  const top = buildResults(readSnapshot(strong)).benchmarks[0]!.conditions[0]!.rows.filter((x) => x.deltaM).sort((a, c) => c.deltaM!.mean - a.deltaM!.mean)[0]!;
  t.equal(top.label, 'Trivial: prior class', 'the trivial row has the highest Δm%');
  const r = await buildHtmlReport(strong, { maxExampleRuns: 0, generatedAt: '2025-01-01T00:00:00Z' });
  t.same(htmlProblems(r.html), []);
  t.match(r.html, /Trivial predictors/);
  t.match(r.html, /class="not-beating-trivial"/);
  t.match(r.html, /best Δm% in clean is <b>(?!Trivial)/);
});

t.test('noise table: the floor rule on each method’s clean result, n=k/N per condition', async (t) => {
  // EW's clean MDR is 0.5 % at seed 0 (below the 1 % floor): left out of EW's Δm% vs clean in every condition.
  const f = makeRecord('noise.sqlite', (x) =>
    x.map((r) =>
      r.label === 'EW'
        ? { ...r, perSeed: [[0.17, 0.5, 30, 5, 0.5], r.perSeed[1]!, r.perSeed[2]!], noisy: [[0.2, 0.4, 35, 8, 30], [0.21, 0.45, 36, 9, 31], [0.19, 0.42, 34, null, 29]] }
        : r.label === 'GradVac'
          ? { ...r, noisy: r.perSeed.map(() => [0.19, 0.6, 35, 12, 20]) }
          : r,
    ),
  );
  const nb = buildResults(readSnapshot(f)).benchmarks[0]!;
  const ew = nb.robustness.find((e) => e.label === 'EW')!;
  t.same(ew.excluded.map((e) => `${e.task}.${e.name}:${e.baseline}:${e.reason}`), ['anchor.mdrPercent:0.5:below-floor']);
  t.same(nb.robustness.find((e) => e.label === 'GradVac')!.excluded, []);
  // EW seed 0 under snr0dB by hand (per-metric mean over the four metrics left): RMSE, PCC, PPI, timing.
  const snr = ew.conditions.find((c) => c.condition === 'snr0dB')!;
  const seed0 = (100 * ((0.17 - 0.2) / 0.17 + (0.4 - 0.5) / 0.5 + (30 - 35) / 30 + (5 - 8) / 5)) / 4;
  t.ok(...near(snr.deltaM!.values[0]!, seed0, 1e-9, 'EW seed 0 under snr0dB'));
  const nt = robustnessTable(nb, { published: false });
  const ewRows = nt.sections.find((sec) => sec.title === 'EW')!.rows;
  const snrRow = ewRows.find((r) => r.label === 'snr0dB')!;
  t.equal(snrRow.seeds, 3);
  t.equal(snrRow.cells[3]!.text, '8.50 ± 0.71 (n=2/3)', 'timing under noise: seed 2 undefined');
  t.ok(snrRow.cells[5]!.text.includes('‡'));
  t.notOk(nt.sections.find((sec) => sec.title === 'GradVac')!.rows.some((r) => r.cells[5]!.text.includes('‡')));
  t.match(nt.spec.join('\n'), /‡ Δm% vs clean of EW here leaves out anchor\.mdrPercent \(baseline \|0\.5\| below the floor 1\)/);
});
