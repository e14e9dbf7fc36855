import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { publishedTables } from '../../reports/paper.js';
import { buildResults } from '../../reports/results.js';
import { readSnapshot } from '../../reports/source.js';
import { comparisonTable, robustnessTable } from '../../reports/table.js';
import { deltaM } from '../../src/metrics/deltam.js';
import { openDb } from '../../src/run/db.js';
import { insertRuns } from './fixture.js';

const tables = publishedTables();
const byId = new Map(tables.map((p) => [p.id, p]));

t.test('the four published tables load with sources and units', async (t) => {
  t.same([...byId.keys()].sort(), ['radarode-mtl-abrupt', 'radarode-mtl-nyuv2-table3', 'radarode-mtl-snr', 'radarode-mtl-table2']);
  t.equal(byId.get('radarode-mtl-table2')!.rows.length, 17, 'baseline + 5 loss + 6 gradient methods + EGA ×5 T');
  t.equal(byId.get('radarode-mtl-nyuv2-table3')!.rows.length, 17);
  t.equal(byId.get('radarode-mtl-snr')!.rows.length, 21, '3 frameworks × (baseline + 6 SNRs)');
  t.equal(byId.get('radarode-mtl-abrupt')!.rows.length, 21, '3 frameworks × (baseline + 3 durations × 2 levels)');
  for (const p of tables) {
    t.ok(p.source.slide.length > 10 && p.source.lines[0] < p.source.lines[1], `${p.id}: source`);
    for (const c of p.columns) t.type(c.unit, 'string', `${p.id}.${c.metric}: unit`);
  }
  const failed = byId.get('radarode-mtl-snr')!.rows.filter((r) => r.failed);
  t.same(failed.map((r) => r.label), ['radarODE, -3 dB'], 'the failed radarODE -3 dB cell');
});

t.test('the published Δm% agrees with Δm% recomputed from the published numbers (transcription check)', async (t) => {
  for (const p of tables) {
    const decls = p.columns.map((c) => ({ task: c.task, name: c.metric, higherIsBetter: c.higherIsBetter }));
    for (const r of p.rows) {
      if (r.deltaM === null) continue;
      const base = p.kind === 'methods' ? p.rows[0]! : p.rows.find((x) => x.framework === r.framework && x.condition === 'clean')!;
      const d = deltaM(decls, base.values as number[], r.values as number[], p.deltaM.averaging);
      // Table cells are rounded (and the noise tables carry hand-set offsets, radarode-mtl.md §5.3).
      const tol = p.kind === 'methods' ? 0.25 : 0.55;
      t.ok(Math.abs(d - r.deltaM) <= tol, `${p.id} ${r.label}: published ${r.deltaM}, recomputed ${d.toFixed(2)}`);
    }
  }
});

const slides = fileURLToPath(new URL('../../../shared/seed/000_af92faa17be57518.txt', import.meta.url));
t.test('every published row’s numbers are on one line of the cited slide text', { skip: existsSync(slides) ? false : `slide text not found at ${slides}` }, async (t) => {
  const lines = readFileSync(slides, 'utf8').split('\n');
  for (const p of tables) {
    const range = lines.slice(p.source.lines[0] - 1, p.source.lines[1]);
    t.ok(range[0]!.includes('TABLE'), `${p.id}: the range starts at the caption`);
    for (const r of p.rows) {
      const want = [...r.values.filter((v): v is number => v !== null), ...(r.deltaM === null ? [] : [r.deltaM])];
      const ok = range.some((l) => {
        const nums = (l.replace(/<\/?u>/g, '').match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
        return want.every((v) => nums.includes(v));
      });
      t.ok(ok, `${p.id} ${r.label}: ${want.join(' ')}`);
    }
  }
});

t.test('published rows appear beside measured radar-ECG rows, labelled, converted and unranked', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-paper-'));
  const file = join(dir, 'radar.sqlite');
  const db = openDb(file);
  const m = (rmse: number, pcc: number, ppi: number, timing: number, mdr: number) => ({ 'shape/rmseMv': rmse, 'shape/pcc': pcc, 'ppi/ppiErrorMs': ppi, 'anchor/timingErrorMs': timing, 'anchor/mdrPercent': mdr });
  // Long-term metrics, recorded under the pseudo-task 'longterm' (the noise tables' columns).
  const lt = (rmse: number, pcc: number, timing: number, mdr: number) => ({ 'longterm/rmseMv': rmse, 'longterm/pcc': pcc, 'longterm/timingErrorMs': timing, 'longterm/mdrPercent': mdr });
  insertRuns(
    db,
    [
      { label: 'STL(shape)', method: 'single-task', singleTask: 0, seed: 0, evals: { clean: m(0.1, 0.85, 20, 20, 20) } },
      { label: 'STL(ppi)', method: 'single-task', singleTask: 1, seed: 0, evals: { clean: m(1, 0.1, 10, 20, 20) } },
      { label: 'STL(anchor)', method: 'single-task', singleTask: 2, seed: 0, evals: { clean: m(1, 0.1, 20, 8, 6) } },
      { label: 'EW', method: 'ew', seed: 0, evals: { clean: { ...m(0.12, 0.8, 9, 9, 5), ...lt(0.1, 0.8, 9, 5) }, snr0dB: { ...m(0.13, 0.78, 10, 10, 6), ...lt(0.11, 0.78, 10, 6) } } },
      { label: 'IMTL', method: 'imtl', seed: 0, evals: { clean: { ...m(0.09, 0.88, 11, 7, 7), ...lt(0.09, 0.88, 8, 4) }, snr0dB: { ...m(0.1, 0.86, 12, 8, 7), ...lt(0.09, 0.88, 8, 4) } } },
    ],
    { task: 'radar-ecg', preset: 'ci' },
  );
  db.close();
  const b = buildResults(readSnapshot(file)).benchmarks[0]!;
  const tb = comparisonTable(b, b.conditions[0]!);
  const pub = tb.sections.find((s) => s.title?.startsWith('Published: TABLE II'));
  t.ok(pub, 'a published section');
  t.equal(pub!.rows.length, 17);
  t.ok(pub!.rows.every((r) => r.published && r.label.endsWith('[published]') && r.cells.every((c) => c.mark === null)));
  const ew = pub!.rows.find((r) => r.label === 'Equal Weight [published]')!;
  const pccCol = tb.columns.findIndex((c) => c.id === 'shape.pcc');
  t.ok(Math.abs(ew.cells[pccCol]!.mean! - 0.797) < 1e-12, 'PCC 79.7% as the fraction the metric uses');
  t.equal(ew.cells[tb.columns.findIndex((c) => c.id === 'deltaM')]!.text, '-0.73', 'the published Δm%');
  t.equal(ew.cells[tb.columns.findIndex((c) => c.id === 'deltaM_vs_EW')]!.text, '—', 'no paired comparison for a published row');
  t.match(tb.spec.join(' '), /Published rows: numbers as printed in TABLE II/);
  const measured = tb.sections.flatMap((s) => s.rows).filter((r) => !r.published);
  t.same(measured.map((r) => r.label), ['Single-task baseline', 'EW', 'IMTL']);
  t.ok(measured.some((r) => r.cells.some((c) => c.mark === 'best')), 'measured rows are ranked');
  const noTable = comparisonTable(b, b.conditions[0]!, { published: false });
  t.notOk(noTable.sections.some((s) => s.title?.startsWith('Published')), '--no-published');
  const noise = robustnessTable(b);
  const pubNoise = noise.sections.filter((s) => s.title?.startsWith('Published'));
  t.same(pubNoise.map((s) => s.title), ['Published: TABLE III (noise slide): Comparison of the frameworks under different SNR: MMECG', 'Published: TABLE III (noise slide): Comparison of the frameworks under different SNR: radarODE', 'Published: TABLE III (noise slide): Comparison of the frameworks under different SNR: radarODE-MTL']);
  t.ok(pubNoise.every((s) => s.rows.length === 2), 'only the conditions measured here (clean, snr0dB)');
  t.same(noise.columns.map((c) => c.id), ['longterm.rmseMv', 'longterm.pcc', 'longterm.timingErrorMs', 'longterm.mdrPercent', 'deltaM'], 'the long-term metrics, as the paper’s noise tables');
  t.same(noise.sections.filter((s) => !s.title?.startsWith('Published')).map((s) => s.title), ['EW', 'IMTL'], 'methods only, no single-task runs');
  const ewNoise = noise.sections[0]!.rows[1]!;
  // per metric vs own clean: ((0.1−0.11)/0.1 + (0.78−0.8)/0.8 + (9−10)/9 + (5−6)/5)/4
  t.ok(Math.abs(ewNoise.cells[4]!.mean! - 25 * (-0.1 - 0.025 - 1 / 9 - 0.2)) < 1e-9);
  const mtl = pubNoise[2]!.rows[1]!;
  t.same([mtl.label, mtl.cells[0]!.text, mtl.cells[1]!.text, mtl.cells[4]!.text], ['radarODE-MTL, 0 dB [published]', '0.091', '83.77', '-4.58'], 'printed precision');
});
