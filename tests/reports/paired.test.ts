/**
 * The paired comparison with EW and the resolution line, on hand-computed records.
 *
 * Task 'toy' (A.acc ↑, B.err ↓), seeds 0, 1, 2; STL(A) acc 0.8 and STL(B) err 2.0 in every seed,
 * so Δm% = 100 · ((acc − 0.8)/0.8 + (2 − err)/2)/2 = 25 · (2 − err) with acc 0.8:
 *   EW      err 1.8, 1.9, 2.0          → Δm% 5, 2.5, 0          (std 2.5)
 *   CAGrad  err 1.6, 1.7, 1.9          → Δm% 10, 7.5, 2.5       → d 5, 5, 2.5 (n = 3)
 *   PCGrad  seeds 0, 1 only: 2.0, 1.8  → Δm% 0, 5               → d −5, 2.5 (n = 2 of 2)
 *   MGDA    err 1.7, NULL, 1.8         → Δm% 7.5, —, 5          → d 2.5, 5 (n = 2 of 3)
 *   UW      seed 1 only: err 1.5       → Δm% 12.5               → d 10 (n = 1: n/a)
 *   Trivial: target mean  acc 0.5, err 3 → Δm% −43.75, never paired.
 * Known quantiles t(0.975, ν): ν = 1 12.706205, 2 4.302653, 3 3.182446, 4 2.776445.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { renderHtmlTable } from '../../reports/formats/html.js';
import { getFormat, tableFormats } from '../../reports/formats/index.js';
import { tidyRows } from '../../reports/formats/tidy-csv.js';
import { buildHtmlReport } from '../../reports/html-report.js';
import { buildResults, type ConditionResults } from '../../reports/results.js';
import { readSnapshot } from '../../reports/source.js';
import { comparisonTable, type Table, type TableRow } from '../../reports/table.js';
import { median, pairedComparison } from '../../src/metrics/paired.js';
import { openDb } from '../../src/run/db.js';
import { htmlProblems, latexBraceDepthOk, latexCells, parseCsv } from './checks.js';
import { insertRuns, type HandRun } from './fixture.js';

const T975 = new Map([
  [1, 12.706205],
  [2, 4.302653],
  [3, 3.182446],
  [4, 2.776445],
]);
const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtl-paired-'));

const close = (a: number, b: number, tol = 1e-5): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
const sd = (xs: number[]): number => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};
/** Half-width of the 95% t interval of the mean of xs, from the known quantiles. */
const halfWidth = (xs: number[]): number => (T975.get(xs.length - 1)! * sd(xs)) / Math.sqrt(xs.length);

t.test('pairedComparison: the t interval against known quantiles', async (t) => {
  // n = 3: d = 2, 4, 1 → mean 7/3, s² = 7/3, half-width t(0.975, 2)·s/√3.
  const p3 = pairedComparison({ seeds: [0, 1, 2], values: [12, 15, 11] }, { seeds: [0, 1, 2], values: [10, 11, 10] });
  t.same(p3.differences, [2, 4, 1]);
  t.ok(close(p3.mean!, 7 / 3, 1e-12));
  t.ok(close(p3.std!, Math.sqrt(7 / 3), 1e-12));
  t.ok(close(p3.ci!.halfWidth, (4.302653 * Math.sqrt(7 / 3)) / Math.sqrt(3)), `half-width ${p3.ci!.halfWidth}`);
  t.equal(p3.excludesZero, false, '[−1.46, 6.13] contains 0');
  // n = 5: d = 1..5 → mean 3, s = √2.5, half-width 2.776445·√2.5/√5 = 1.9632; [1.04, 4.96] excludes 0.
  const p5 = pairedComparison({ seeds: [4, 3, 2, 1, 0], values: [15, 14, 13, 12, 11] }, { seeds: [0, 1, 2, 3, 4], values: [10, 10, 10, 10, 10] });
  t.same(p5.seeds, [0, 1, 2, 3, 4], 'seeds in order whatever the input order');
  t.same(p5.differences, [1, 2, 3, 4, 5]);
  t.ok(close(p5.ci!.halfWidth, (2.776445 * Math.sqrt(2.5)) / Math.sqrt(5)), `half-width ${p5.ci!.halfWidth}`);
  t.ok(close(p5.ci!.lower, 3 - (2.776445 * Math.sqrt(2.5)) / Math.sqrt(5)));
  t.equal(p5.excludesZero, true);
  const neg = pairedComparison({ seeds: [0, 1, 2, 3, 4], values: [-1, -2, -3, -4, -5] }, { seeds: [0, 1, 2, 3, 4], values: [0, 0, 0, 0, 0] });
  t.equal(neg.excludesZero, true, 'an interval wholly below 0 excludes it too');
  // One and no shared seed; NaN counts as missing.
  const one = pairedComparison({ seeds: [0, 1], values: [3, NaN] }, { seeds: [0, 1], values: [1, 1] });
  t.same([one.n, one.mean, one.std, one.ci, one.excludesZero], [1, 2, null, null, null]);
  const none = pairedComparison({ seeds: [0], values: [3] }, { seeds: [1], values: [1] });
  t.same([none.n, none.mean, none.ci], [0, null, null]);
  t.throws(() => pairedComparison({ seeds: [0, 0], values: [1, 2] }, { seeds: [0], values: [1] }), /each seed once/);
  t.throws(() => pairedComparison({ seeds: [0, 1], values: [1] }, { seeds: [0], values: [1] }), /one value per seed/);
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 2, 3]), 2.5);
});

t.test('pairedComparison: every pattern of missing seeds pairs exactly the shared ones', async (t) => {
  const xv = [3.1, -2.4, 7.9, 0.5];
  const rv = [1.0, 0.7, 2.2, -1.3];
  let checked = 0;
  for (let mx = 0; mx < 16; mx++) {
    for (let mr = 0; mr < 16; mr++) {
      const xs = [0, 1, 2, 3].filter((s) => mx & (1 << s));
      const rs = [0, 1, 2, 3].filter((s) => mr & (1 << s));
      const p = pairedComparison({ seeds: xs, values: xs.map((s) => xv[s]!) }, { seeds: rs, values: rs.map((s) => rv[s]!) });
      const shared = xs.filter((s) => rs.includes(s));
      const d = shared.map((s) => xv[s]! - rv[s]!);
      if (!(p.n === shared.length && JSON.stringify(p.seeds) === JSON.stringify(shared) && p.differences.every((v, i) => close(v, d[i]!, 1e-12)))) t.fail(`pattern ${mx}/${mr}`);
      if (d.length >= 2) {
        const m = d.reduce((a, b) => a + b, 0) / d.length;
        const h = halfWidth(d);
        if (!(close(p.mean!, m, 1e-12) && close(p.ci!.halfWidth, h) && p.excludesZero === (m - h > 0 || m + h < 0))) t.fail(`interval of pattern ${mx}/${mr}`);
      } else if (p.ci !== null || p.excludesZero !== null) t.fail(`pattern ${mx}/${mr}: no interval below 2 seeds`);
      checked++;
    }
  }
  t.equal(checked, 256);
});

const toy = (label: string, method: string, seeds: number[], err: (number | null)[], acc = 0.8): HandRun[] =>
  seeds.map((seed, i) => ({ label, method, seed, evals: { clean: { 'A/acc': acc, ...(err[i] === null ? {} : { 'B/err': err[i]! }) } } }));
const STL: HandRun[] = [0, 1, 2].flatMap((seed) => [
  { label: 'STL(A)', method: 'single-task', singleTask: 0, seed, evals: { clean: { 'A/acc': 0.8, 'B/err': 9 } } },
  { label: 'STL(B)', method: 'single-task', singleTask: 1, seed, evals: { clean: { 'A/acc': 0.1, 'B/err': 2.0 } } },
]);
const RUNS: HandRun[] = [
  ...STL,
  ...toy('Trivial: target mean', 'trivial', [0, 1, 2], [3, 3, 3], 0.5),
  ...toy('EW', 'ew', [0, 1, 2], [1.8, 1.9, 2.0]),
  ...toy('CAGrad', 'cagrad', [0, 1, 2], [1.6, 1.7, 1.9]),
  ...toy('PCGrad', 'pcgrad', [0, 1], [2.0, 1.8]),
  ...toy('MGDA', 'mgda', [0, 1, 2], [1.7, null, 1.8]),
  ...toy('UW', 'uw', [1], [1.5]),
];

function record(name: string, runs: readonly HandRun[]): string {
  const file = join(dir, name);
  const db = openDb(file);
  try {
    const ids = insertRuns(db, runs);
    // A metric the run could not compute is stored as NULL (MGDA seed 1's B.err).
    const mgda1 = ids[runs.findIndex((r) => r.label === 'MGDA' && r.seed === 1)];
    if (mgda1 !== undefined) db.prepare("INSERT INTO evaluations (run_id, condition, split, task, metric, value) VALUES (?, 'clean', 'test', 'B', 'err', NULL)").run(mgda1);
  } finally {
    db.close();
  }
  return file;
}

function tableOf(file: string): { cond: ConditionResults; table: Table } {
  const b = buildResults(readSnapshot(file)).benchmarks[0]!;
  const cond = b.conditions[0]!;
  return { cond, table: comparisonTable(b, cond) };
}
const rows = (tb: Table): TableRow[] => tb.sections.flatMap((s) => s.rows);
const PAIRED = 'deltaM_vs_EW';

const main = record('main.sqlite', RUNS);
const { cond, table } = tableOf(main);
const pcol = table.columns.findIndex((c) => c.id === PAIRED);
const cell = (label: string) => rows(table).find((r) => r.label === label)!.cells[pcol]!;

const D = { CAGrad: [5, 5, 2.5], PCGrad: [-5, 2.5], MGDA: [2.5, 5] } as const;

t.test('the model: per-seed differences against EW over the shared seeds', async (t) => {
  const row = (label: string) => cond.rows.find((r) => r.label === label)!;
  t.same(row('EW').deltaM!.values.map((v) => Number(v.toFixed(9))), [5, 2.5, 0]);
  t.equal(row('EW').pairedVsEW, undefined, 'EW is the reference');
  for (const [label, d] of Object.entries(D)) {
    const p = row(label).pairedVsEW!;
    t.same(p.differences.map((v) => Number(v.toFixed(9))), d, `${label}: differences`);
    t.ok(close(p.ci!.halfWidth, halfWidth([...d])), `${label}: half-width ${p.ci!.halfWidth} vs ${halfWidth([...d])}`);
  }
  t.same(row('MGDA').pairedVsEW!.seeds, [0, 2], 'the NULL metric of seed 1 leaves that seed out');
  t.same([row('UW').pairedVsEW!.n, Number(row('UW').pairedVsEW!.mean!.toFixed(9))], [1, 10]);
  t.equal(row('Trivial: target mean').pairedVsEW, undefined, 'trivial rows never get a paired comparison');
  t.equal(row('Single-task baseline').pairedVsEW, undefined);
  const r = cond.resolution;
  t.equal(r.reference, 'EW');
  t.ok(close(r.referenceDeltaM!.std!, 2.5, 1e-9));
  t.equal(r.compared, 3);
  t.same(r.pairedSeeds, [2, 3]);
  t.ok(close(r.detectable!, median([halfWidth([...D.CAGrad]), halfWidth([...D.PCGrad]), halfWidth([...D.MGDA])])));
});

t.test('the table: cells, marker, n, and the resolution line', async (t) => {
  t.equal(table.columns[pcol]!.header, 'Δm% − EW');
  t.equal(pcol, table.columns.length - 1, 'after Δm%');
  // CAGrad: mean 4.1667, half-width 4.302653 · 1.4434/√3 = 3.5856 → [0.58, 7.75], excludes 0.
  t.equal(cell('CAGrad').text, '+4.17 [0.58, 7.75]*');
  t.ok(cell('CAGrad').flags.includes('paired-significant'));
  // PCGrad: −1.25 ± 12.706205 · 5.3033/√2 = 47.65; its two seeds are all it has.
  t.equal(cell('PCGrad').text, '-1.25 [-48.90, 46.40]');
  t.same(cell('PCGrad').flags, []);
  // MGDA: 3.75 ± 12.706205 · 1.7678/√2 = 15.88, over 2 of its 3 seeds.
  t.equal(cell('MGDA').text, '+3.75 [-12.13, 19.63] (n=2/3)');
  t.same(cell('MGDA').flags, ['partial']);
  t.equal(cell('UW').text, 'n/a (1 seed)');
  t.equal(cell('EW').text, 'reference');
  t.equal(cell('Trivial: target mean').text, '—');
  t.equal(cell('Single-task baseline').text, '—');
  t.ok(rows(table).every((r) => r.cells[pcol]!.mark === null), 'never ranked');
  t.equal(table.resolution!.text, 'Resolution: EW Δm% seed std 2.50 pp (n = 3); a paired difference of ≥ 15.88 pp vs EW is detectable with 2–3 shared seeds (median half-width of the 3 paired 95% intervals).');
  t.match(table.spec.join('\n'), /Seeds: n = 3 per row, except UW \(1\), PCGrad \(2\); Δm% cells are the mean ± sample std \(n − 1\)/);
  t.match(table.spec.join('\n'), /Δm% − EW: per method, the per-seed differences/);
  // Per metric, in the cell's tooltip: CAGrad B.err − EW's = −0.2, −0.2, −0.1 → −0.1667 ± 0.1434;
  // PCGrad's = +0.2, −0.1 → +0.05 ± 12.706205 · 0.2121/√2 = 1.906.
  const errCol = table.columns.findIndex((c) => c.id === 'B.err');
  const caErr = rows(table).find((r) => r.label === 'CAGrad')!.cells[errCol]!;
  t.equal(caErr.note, 'vs EW, paired over 3 seeds: -0.167 [-0.31, -0.0232], excludes 0');
  t.equal(rows(table).find((r) => r.label === 'PCGrad')!.cells[errCol]!.note, 'vs EW, paired over 2 seeds: +0.05 [-1.86, 1.96]');
  t.equal(rows(table).find((r) => r.label === 'UW')!.cells[errCol]!.note, undefined, 'one shared seed: no interval');
  t.equal(rows(table).find((r) => r.label === 'EW')!.cells[errCol]!.note, undefined);
});

t.test('every format carries the column, the marker and the resolution line', async (t) => {
  const md = getFormat('md').render([table]);
  t.match(md, /\| Method \| A: acc ↑ \| B: err ↓ \| Δm% ↑ \| Δm% − EW ↑ \|/);
  t.match(md, /\| CAGrad \| [^|]+ \| [^|]+ \| [^|]+ \| \+4\.17 \\\[0\.58, 7\.75\\\]\\\* \|/);
  t.match(md, /\| UW \| [^|]+ \| [^|]+ \| [^|]+ \| n\/a \(1 seed\) \|/);
  t.match(md, /\|\n\nResolution: EW Δm% seed std 2\.50 pp/, 'the line right under the table');

  const html = renderHtmlTable(table);
  t.same(htmlProblems(html), []);
  t.match(html, /<th rowspan="2" scope="col">Δm% − EW ↑<\/th>/);
  t.match(html, /<td class="paired-significant" title="n=3\/3, 95% CI \[0\.5811, 7\.752\]; per seed: seed 0 \+5\.00, seed 1 \+5\.00, seed 2 \+2\.50; 95% t interval, 2 degrees of freedom, excludes 0">\+4\.17 \[0\.58, 7\.75\]\*<\/td>/);
  t.match(html, /<\/table><\/div>\n<p class="resolution">Resolution: EW Δm% seed std 2\.50 pp/);

  const tex = getFormat('latex').render([table]);
  t.ok(latexBraceDepthOk(tex));
  t.match(tex, /\$\\Delta\$m\\% - EW \$\\uparrow\$ \\\\/);
  t.match(tex, /CAGrad & .* & \+4\.17 \[0\.58, 7\.75\]\* \\\\/);
  for (const l of tex.split('\n').filter((x) => /^(EW|CAGrad|PCGrad|MGDA|UW|Trivial|Single)/.test(x))) t.equal(latexCells(l).length, 5, l);
  t.match(tex, /footnotesize Resolution: EW/);

  const recs = parseCsv(getFormat('csv').render([table]));
  const head = recs[0]!;
  const get = (label: string, field: string): string => recs.find((r) => r[2] === label)![head.indexOf(field)]!;
  t.ok(close(Number(get('CAGrad', PAIRED)), 25 / 6, 1e-9));
  t.ok(close(Number(get('CAGrad', `${PAIRED}:ci95_low`)), 25 / 6 - halfWidth([5, 5, 2.5])));
  t.equal(get('CAGrad', `${PAIRED}:flags`), 'paired-significant');
  t.equal(get('MGDA', `${PAIRED}:n`), '2');
  t.equal(get('MGDA', `${PAIRED}:flags`), 'partial');
  t.equal(get('EW', PAIRED), '');
  t.equal(get('Trivial: target mean', PAIRED), '');

  for (const f of tableFormats) {
    const out = f.render([table]);
    t.ok(out.includes('deltaM_vs_EW') || out.includes('EW ↑') || out.includes('EW $\\uparrow$'), `${f.id}: the column`);
  }
});

t.test('tidy CSV and its sidecar JSON, through the CLI', async (t) => {
  const out = join(dir, 'runs.csv');
  const r = spawnSync(process.execPath, [BIN, 'report', 'table', '--db', main, '--format', 'csv', '--out', out], { encoding: 'utf8', cwd: dir });
  t.equal(r.status, 0, r.stderr);
  const recs = parseCsv(readFileSync(out, 'utf8'));
  const head = recs[0]!;
  const f = (rec: string[], k: string): string => rec[head.indexOf(k)]!;
  const paired = recs.filter((x) => f(x, 'metric') === PAIRED);
  const got = paired.map((x) => `${f(x, 'label')}:${f(x, 'seed')}:${Number(Number(f(x, 'value')).toFixed(9))}`).sort();
  t.same(got, ['CAGrad:0:5', 'CAGrad:1:5', 'CAGrad:2:2.5', 'MGDA:0:2.5', 'MGDA:2:5', 'PCGrad:0:-5', 'PCGrad:1:2.5', 'UW:1:10'], 'one row per run and shared seed, nothing for EW, trivial or baseline rows');
  // The tidy rows from the model agree with the file.
  const b = buildResults(readSnapshot(main));
  t.equal(tidyRows(b, readSnapshot(main)).filter((x) => x.metric === PAIRED).length, 8);
  const side = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) as { tables: { resolution: { text: string; referenceStd: number; detectable: number; pairedSeeds: number[] }; pairedVsEW: { label: string; n: number; ci95: number[] | null; excludesZero: boolean | null }[] }[] };
  const tb = side.tables[0]!;
  t.ok(close(tb.resolution.referenceStd, 2.5, 1e-9));
  t.ok(close(tb.resolution.detectable, halfWidth([2.5, 5])));
  t.same(tb.resolution.pairedSeeds, [2, 3]);
  t.match(tb.resolution.text, /^Resolution: EW Δm% seed std 2\.50 pp/);
  t.same(
    tb.pairedVsEW.map((p) => [p.label, p.n, p.excludesZero]),
    [
      ['UW', 1, null],
      ['CAGrad', 3, true],
      ['PCGrad', 2, false],
      ['MGDA', 2, false],
    ],
  );
});

t.test('the HTML report carries the column and the line', async (t) => {
  const r = await buildHtmlReport(main, { maxExampleRuns: 0, generatedAt: '2025-01-01T00:00:00Z' });
  t.same(htmlProblems(r.html), []);
  t.match(r.html, /<p class="resolution">Resolution: EW Δm% seed std 2\.50 pp \(n = 3\); a paired difference of ≥ 15\.88 pp vs EW/);
  t.match(r.html, /class="paired-significant"/);
  // The summary names the best Δm% (UW, one seed: no interval) …
  t.match(r.html, /best Δm% in clean is <b>UW<\/b> \(12\.50%, 1 seed\) of 5 methods<\/li>/);
  // … and, where it has one, its paired interval against EW.
  const noUw = await buildHtmlReport(record('no-uw.sqlite', RUNS.filter((x) => x.label !== 'UW')), { maxExampleRuns: 0 });
  t.match(noUw.html, /best Δm% in clean is <b>CAGrad<\/b> \(6\.67% ± 3\.82, 3 seeds\) of 4 methods; \+4\.17 pp vs EW, 95% paired interval \[0\.58, 7\.75\]<\/li>/);
  const noCa = await buildHtmlReport(record('no-ca.sqlite', RUNS.filter((x) => x.label !== 'UW' && x.label !== 'CAGrad')), { maxExampleRuns: 0 });
  t.match(noCa.html, /best Δm% in clean is <b>MGDA<\/b> [^<]*; \+3\.75 pp vs EW, 95% paired interval \[-12\.13, 19\.63\], not distinguishable from it<\/li>/);
});

t.test('one seed: n/a everywhere, and the resolution line says why', async (t) => {
  const one = record('one.sqlite', RUNS.filter((r) => r.seed === 0));
  const { table: tb } = tableOf(one);
  const c = tb.columns.findIndex((x) => x.id === PAIRED);
  const get = (label: string) => rows(tb).find((r) => r.label === label)!.cells[c]!;
  t.same(['CAGrad', 'PCGrad', 'MGDA'].map((l) => get(l).text), ['n/a (1 seed)', 'n/a (1 seed)', 'n/a (1 seed)']);
  t.ok(['CAGrad', 'PCGrad', 'MGDA'].every((l) => get(l).flags.length === 0), 'one seed of one: nothing partial');
  t.equal(get('EW').text, 'reference');
  t.equal(tb.resolution!.text, 'Resolution: n/a (1 seed): EW\'s Δm% seed spread and the paired comparisons need 2 or more seeds.');
  t.match(getFormat('md').render([tb]), /n\/a \(1 seed\)/);
});

t.test('EW with an undefined metric in one seed: every comparison pairs over the other two', async (t) => {
  const runs = RUNS.map((r) => (r.label === 'EW' && r.seed === 2 ? { ...r, evals: { clean: { 'A/acc': NaN, 'B/err': 2.0 } } } : r));
  const { cond: c, table: tb } = tableOf(record('ew-nan.sqlite', runs));
  const ew = c.rows.find((r) => r.label === 'EW')!;
  t.same(ew.deltaM!.seeds, [0, 1]);
  t.same(c.rows.find((r) => r.label === 'CAGrad')!.pairedVsEW!.seeds, [0, 1]);
  t.ok(close(c.resolution.referenceDeltaM!.std!, sd([5, 2.5]), 1e-9));
  // CAGrad d = 5, 5 (no spread): interval of width 0 at 5, excludes 0.
  const ca = rows(tb).find((r) => r.label === 'CAGrad')!.cells[tb.columns.findIndex((x) => x.id === PAIRED)]!;
  t.equal(ca.text, '+5.00 [5.00, 5.00]* (n=2/3)');
  t.match(tb.resolution!.text, /EW Δm% seed std 1\.77 pp \(n = 2\)/);
});

t.test('no EW row: no paired column, and the line says so', async (t) => {
  const { table: tb } = tableOf(record('no-ew.sqlite', RUNS.filter((r) => r.label !== 'EW')));
  t.notOk(tb.columns.some((c) => c.id === PAIRED));
  t.equal(tb.resolution!.text, 'Resolution: no EW row with a Δm% in this table, so no paired comparison.');
  // Without single-task runs there is no Δm%, hence nothing to pair and no line.
  const { table: none } = tableOf(record('no-stl.sqlite', RUNS.filter((r) => r.method !== 'single-task')));
  t.notOk(none.columns.some((c) => c.id === PAIRED));
  t.equal(none.resolution, null);
});
