import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { getFormat, tableFormats } from '../../reports/formats/index.js';
import { renderHtmlTable } from '../../reports/formats/html.js';
import { escapeLatex } from '../../reports/formats/latex.js';
import { buildResults } from '../../reports/results.js';
import { readSnapshot } from '../../reports/source.js';
import { columnDecimals, comparisonTable, INCOMPLETE_SECTION, robustnessTable, type Table, type TableRow } from '../../reports/table.js';
import { outcomeOf } from '../../reports/incomplete.js';
import { htmlProblems, latexBraceDepthOk, latexCells, parseCsv } from './checks.js';
import { EGA_LABEL_05, EGA_LABEL_1, makeHandDb } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-table-'));
const file = join(dir, 'hand.sqlite');
makeHandDb(file);
const model = buildResults(readSnapshot(file));
const b = model.benchmarks[0]!;
const table = comparisonTable(b, b.conditions[0]!);
const noise = robustnessTable(b);
const rows = (tb: Table): TableRow[] => tb.sections.flatMap((s) => s.rows);
const rowOf = (label: string): TableRow => rows(table).find((r) => r.label === label)!;

t.test('layout: baseline first, sections, columns with arrows, Δm% last', async (t) => {
  t.same(table.sections.map((s) => s.title), [null, 'Loss balancing methods', 'Gradient balancing methods', INCOMPLETE_SECTION]);
  t.same(rows(table).map((r) => r.label), ['Single-task baseline', 'EW', 'CAGrad(c=0.5, rescale=1)', EGA_LABEL_05, EGA_LABEL_1, 'PCGrad', 'UW, seed 0: errored in epoch 2 of 3 †', 'DWA(T=2), seed 0: running (epoch 2 of 3) †']);
  t.same(table.columns.map((c) => `${c.header} ${c.arrow}`), ['acc ↑', 'err ↓', 'Δm% ↑', 'Δm% − EW ↑']);
  t.same(table.groups, [
    { title: 'A', span: 1 },
    { title: 'B', span: 1 },
    { title: '', span: 1 },
    { title: '', span: 1 },
  ]);
});

t.test('cell text: mean ± std with fixed decimals per column', async (t) => {
  t.equal(columnDecimals([0.86, 0.75]), 3);
  t.equal(columnDecimals([2.5, 1.25]), 3);
  t.equal(columnDecimals([14.1, 9.6]), 2);
  t.equal(columnDecimals([123.4]), 1);
  t.equal(columnDecimals([0.0123]), 4);
  t.same(rowOf('Single-task baseline').cells.map((c) => c.text), ['0.750 ± 0.071', '2.500 ± 0.707', '0.00 ± 0.00', '—']);
  t.same(rowOf('EW').cells.map((c) => c.text), ['0.860 ± 0.028', '2.100 ± 0.424', '15.00 ± 7.07', 'reference']);
  // Paired with EW (Δm% 10, 20): CAGrad 22.5, 25 → differences 12.5, 5 → 8.75 ± 12.706205 · 5.3033/√2.
  t.same(rowOf('CAGrad(c=0.5, rescale=1)').cells.map((c) => c.text), ['0.730 ± 0.042', '1.250 ± 0.354', '23.75 ± 1.77', '+8.75 [-38.90, 56.40]']);
  t.same(rowOf(EGA_LABEL_1).cells.map((c) => c.text), ['0.810 ± 0.014', '1.400 ± 0.283', '25.86 ± 6.52', '+10.86 [5.95, 15.78]*']);
  t.same(rowOf('PCGrad').cells.map((c) => c.text), ['0.750', '2.500', '0.00', 'n/a (no seed shared with EW)'], 'one seed: no ± std');
});

t.test('marks: best and second best per column, by direction, methods only', async (t) => {
  const marks = (label: string) => rowOf(label).cells.map((c) => c.mark);
  t.same(marks('EW'), ['best', null, null, null], 'A.acc ↑: EW 0.86 best');
  t.same(marks(EGA_LABEL_1), ['second', 'second', 'best', null], 'EGA T=1 second on both metrics and best Δm%; the paired column is not ranked');
  t.same(marks('CAGrad(c=0.5, rescale=1)'), [null, 'best', 'second', null], 'B.err ↓: CAGrad 1.25 best');
  t.same(marks('Single-task baseline'), [null, null, null, null], 'the baseline is not ranked');
});

t.test('the Δm% spec is part of the table', async (t) => {
  const spec = table.spec.join('\n');
  t.match(spec, /averaged per task/);
  t.match(spec, /Directions: A\.acc ↑, B\.err ↓/);
  t.match(spec, /Baseline B: single-task baseline \(STL\(A\), STL\(B\)\) = \[0\.75, 2\.5\]/);
  t.match(spec, /mean baseline/);
  for (const f of tableFormats.filter((x) => x.id !== 'csv')) {
    const out = f.render([table]);
    t.match(out, /Directions: A\.acc/, `${f.id} prints the directions`);
    t.match(out, /0\.75, 2\.5/, `${f.id} prints the baseline`);
    t.match(out, /averaged per task/, `${f.id} prints the averaging`);
  }
});

t.test('Markdown: every row has the header’s column count; marks as ** and <u>', async (t) => {
  const md = getFormat('markdown').render([table, noise]);
  const count = (l: string) => l.replace(/\\\|/g, '').split('|').length - 2;
  const [first, second] = md.split('\n### ').map((block) => block.split('\n').filter((l) => l.startsWith('|')));
  for (const l of first!) t.equal(count(l), 5, l);
  for (const l of second!) t.equal(count(l), 4, l);
  t.match(md, /\| EW \| \*\*0\.860 ± 0\.028\*\* \| 2\.100 ± 0\.424 \| 15\.00 ± 7\.07 \|/);
  t.match(md, /<u>23\.75 ± 1\.77<\/u>/);
  t.match(md, /\|:---\|---:\|---:\|---:\|---:\|/);
  t.match(md, /\n\nResolution: EW Δm% seed std 7\.07 pp \(n = 2\); a paired difference of ≥ 36\.68 pp vs EW is detectable with 2 seeds/, 'the resolution line under the table');
});

t.test('CSV parses back to the raw values', async (t) => {
  const csv = getFormat('csv').render([table]);
  t.notMatch(csv, /^#/m, 'no comment lines: the specification goes to the sidecar JSON');
  const recs = parseCsv(csv);
  const head = recs[0]!;
  t.ok(recs.every((r) => r.length === head.length), 'rectangular');
  const ew = recs.find((r) => r[2] === 'EW')!;
  const col = (name: string) => Number(ew[head.indexOf(name)]);
  t.ok(Math.abs(col('A.acc') - 0.86) < 1e-12);
  t.ok(Math.abs(col('A.acc:std') - 0.02 * Math.SQRT2) < 1e-12);
  t.equal(ew[head.indexOf('A.acc:mark')], 'best');
  t.ok(Math.abs(col('deltaM') - 15) < 1e-9);
  t.ok(col('deltaM:ci95_low') < 15 && col('deltaM:ci95_high') > 15);
  const ega = recs.find((r) => r[2] === EGA_LABEL_1)!;
  t.equal(ega[head.indexOf('deltaM:mark')], 'best');
  t.equal(recs.length, 1 + rows(table).length);
});

t.test('LaTeX: balanced braces, one tabular, cells per row, escaped', async (t) => {
  const tex = getFormat('latex').render([table, noise]);
  t.ok(latexBraceDepthOk(tex), 'braces balance');
  t.equal(tex.match(/\\begin\{tabular\}/g)?.length, 2);
  t.equal(tex.match(/\\end\{tabular\}/g)?.length, 2);
  t.equal(tex.match(/\\begin\{table\}/g)?.length, tex.match(/\\end\{table\}/g)?.length);
  const body = (part: string) => part.split('\n').filter((l) => /\\\\$/.test(l) && !l.startsWith('\\multicolumn') && !l.startsWith(' &') && !l.includes('footnotesize') && !/^(Directions|Baseline|Floor|Marks|Cells|Seeds|Resolution|\$\\Delta\$m|Note)/.test(l));
  const [, first, second] = tex.split('\\begin{table}').map(body);
  t.ok(first!.length + second!.length >= rows(table).length + rows(noise).length + 2, 'header and body rows checked');
  for (const l of first!) t.equal(latexCells(l).length, 5, l);
  for (const l of second!) t.equal(latexCells(l).length, 4, l);
  t.match(tex, /footnotesize Resolution: EW \$\\Delta\$m\\% seed std 7\.07 pp/, 'the resolution line first under the tabular');
  t.match(tex, /EW & \\textbf\{0\.860 \$\\pm\$ 0\.028\}/);
  t.match(tex, /\\underline\{23\.75 \$\\pm\$ 1\.77\}/);
  t.equal(escapeLatex('a_b & 50% #1 {x} ~ ^ \\'), 'a\\_b \\& 50\\% \\#1 \\{x\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}');
});

t.test('HTML: well formed, marks as <strong>/<u>, CI tooltips', async (t) => {
  const page = getFormat('html').render([table, noise]);
  t.same(htmlProblems(page), []);
  const frag = renderHtmlTable(table);
  t.same(htmlProblems(frag), []);
  t.match(frag, /<td class="best" title="n=2\/2, 95% CI \[[^\]]+\]"><strong>0\.860 ± 0\.028<\/strong><\/td>/);
  t.match(frag, /<u>23\.75 ± 1\.77<\/u>/);
  t.match(frag, /<th colspan="1" scope="colgroup">A<\/th>/);
  t.same(htmlProblems('<div><span></div>').length > 0, true, 'the checker catches a bad nesting');
});

t.test('noise table: blocks per method, rows per condition, Δm% vs clean', async (t) => {
  t.same(noise.sections.map((s) => s.title), ['EW', 'CAGrad(c=0.5, rescale=1)', INCOMPLETE_SECTION]);
  const ew = noise.sections[0]!.rows;
  t.same(ew.map((r) => r.label), ['clean (baseline)', 'snr0dB', 'abrupt2s@-9dB']);
  t.equal(ew[1]!.cells[2]!.text, '-6.24 ± 5.46');
  t.equal(noise.columns[2]!.header, 'Δm% vs clean');
  t.ok(rows(noise).every((r) => r.cells.every((c) => c.mark === null)), 'no marks');
});

t.test('format registry', async (t) => {
  t.same(tableFormats.map((f) => f.id), ['md', 'html', 'csv', 'latex']);
  t.equal(getFormat('tex').id, 'latex');
  t.throws(() => getFormat('docx'), /--format: got "docx", expected one of md, html, csv, latex/);
});

t.test('every run that did not complete is a row in every format, with what happened, its epoch and a footnote', async (t) => {
  const statuses = ['errored', 'aborted', 'running', 'pending'] as const;
  for (const status of statuses) {
    for (const [epochsDone, error] of [
      [0, null],
      [2, 'training diverged at epoch 3: a task weight is not finite'],
      [1, 'RangeError: something else'],
    ] as const) {
      const o = outcomeOf({ status, error: status === 'errored' ? error : null, epochsDone, epochs: 5 });
      if (status === 'errored' && error?.includes('diverged')) t.same([o.outcome, o.epoch], ['diverged', 3], 'the epoch named by the error');
      else if (status === 'errored') t.same([o.outcome, o.epoch], ['errored', epochsDone + 1]);
      else if (status === 'aborted') t.same([o.outcome, o.epoch], ['aborted', epochsDone]);
      else if (status === 'pending') t.same([o.outcome, o.epoch], ['pending', null]);
      else t.same([o.outcome, o.epoch], ['running', epochsDone + 1]);
      if (o.epoch !== null) t.match(o.text, new RegExp(`epoch ${o.epoch}\\b`));
    }
  }
  const incomplete = b.incomplete;
  t.equal(incomplete.length, 2, 'the fixture has an errored and a running run');
  for (const tb of [table, noise]) {
    const inc = rows(tb).filter((r) => r.kind === 'incomplete');
    t.same(inc.map((r) => [r.outcome!.seed, r.outcome!.outcome]), incomplete.map((r) => [r.seed, outcomeOf(r).outcome]));
    t.ok(inc.every((r) => r.cells.every((c) => c.mean === null && c.mark === null)), 'no values, no marks');
    for (const f of tableFormats) {
      const out = f.render([tb]);
      for (const r of incomplete) {
        const what = outcomeOf(r).text;
        t.ok(out.includes(what), `${f.id}: ${r.label} seed ${r.seed} says "${what}"`);
      }
      if (f.id !== 'csv') t.match(out, /did not complete/, `${f.id}: footnote`);
    }
  }
});
