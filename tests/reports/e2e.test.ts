/**
 * A real (tiny) run through runGrid: EW and EGA with T ∈ {0.5, 1} plus the single-task baselines on
 * the regression task, two seeds; then the table, the HTML report and the regression gate on it,
 * with Δm% checked against the raw evaluations. Also: reading while a writer holds the record.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { getFormat } from '../../reports/formats/index.js';
import { buildHtmlReport } from '../../reports/html-report.js';
import { compareToBaseline, freezeBaseline } from '../../reports/regress.js';
import { buildResults } from '../../reports/results.js';
import { readSnapshot } from '../../reports/source.js';
import { comparisonTable } from '../../reports/table.js';
import { deltaM } from '../../src/metrics/deltam.js';
import { validateConfig } from '../../src/run/config.js';
import { runGrid } from '../../src/run/orchestrate.js';
import { getTask } from '../../src/tasks/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-e2e-'));
const db = join(dir, 'run.sqlite');

t.before(async () => {
  const cfg = validateConfig({ name: 'report-e2e', task: 'regression', preset: 'ci', optimizers: ['EW', { method: 'EGA', params: { T: [0.5, 1], warmupEpoch: 0 } }], singleTask: true, trivial: false, seeds: [0, 1], epochs: 2, dataDir: join(dir, 'data') });
  const r = await runGrid(cfg, { dbFile: db, jobs: 1, backend: 'wasm', tty: false, log: () => {} });
  if (r.completed !== 12) throw new Error(`expected 12 completed runs, got ${JSON.stringify(r)}`);
});

t.test('table from a real run: layout, n = 2, Δm% equal to a recomputation from the raw rows', async (t) => {
  const model = buildResults(readSnapshot(db));
  t.equal(model.benchmarks.length, 1);
  const b = model.benchmarks[0]!;
  const clean = b.conditions[0]!;
  t.equal(clean.condition, 'clean');
  const labels = clean.rows.map((r) => r.label);
  t.equal(labels[0], 'Single-task baseline');
  t.equal(labels[1], 'EW');
  t.match(labels[2]!, /^EGA\(T=0\.5[,)]/);
  t.match(labels[3]!, /^EGA\(T=1[,)]/);
  t.ok(clean.rows.every((r) => r.deltaM?.n === 2 && r.metrics.every((m) => m?.n === 2)), 'two seeds everywhere');
  t.equal(clean.rows[0]!.deltaMPairing, 'seed-matched');

  const raw = new Database(db, { readonly: true });
  const val = (label: string, seed: number, task: string): number =>
    (raw.prepare("SELECT e.value FROM evaluations e JOIN runs r ON r.id = e.run_id WHERE r.label = ? AND r.seed = ? AND e.task = ? AND e.metric = 'mse' AND e.condition = 'clean'").get(label, seed, task) as { value: number }).value;
  const tasks = getTask('regression').taskNames;
  const decls = getTask('regression').metrics;
  const dmOf = (label: string, seed: number): number =>
    deltaM(
      decls,
      tasks.map((tk) => val(`STL(${tk})`, seed, tk)),
      tasks.map((tk) => val(label, seed, tk)),
      'per-task',
    );
  for (const seed of [0, 1]) {
    const i = clean.rows[1]!.deltaM!.seeds.indexOf(seed);
    t.ok(Math.abs(clean.rows[1]!.deltaM!.values[i]! - dmOf('EW', seed)) < 1e-12, `EW Δm% seed ${seed}`);
  }
  // The paired comparison with EW, from the raw rows: with two seeds the 95% half-width is
  // t(0.975, 1) · |d0 − d1| / 2, t(0.975, 1) = 12.706205.
  const widths: number[] = [];
  for (const row of clean.rows.slice(2)) {
    const d = [0, 1].map((seed) => dmOf(row.label, seed) - dmOf('EW', seed));
    const p = row.pairedVsEW!;
    t.ok(p.differences.every((v, i) => Math.abs(v - d[i]!) < 1e-9), `${row.label}: per-seed differences`);
    const hw = (12.706205 * Math.abs(d[0]! - d[1]!)) / 2;
    t.ok(Math.abs(p.ci!.halfWidth - hw) <= 1e-6 * Math.max(1, hw), `${row.label}: half-width ${p.ci!.halfWidth} vs ${hw}`);
    widths.push(hw);
  }
  t.ok(Math.abs(clean.resolution.detectable! - (widths[0]! + widths[1]!) / 2) <= 1e-6 * Math.max(1, widths[0]!), 'detectable difference: the median of the two half-widths');
  raw.close();
  const md = getFormat('md').render([comparisonTable(b, clean)]);
  t.match(md, /\| Single-task baseline \| [\d.]+ ± [\d.]+ \|/);
  t.match(md, /Directions: task0\.mse ↓, task1\.mse ↓, task2\.mse ↓/);
  t.match(md, /\n\nResolution: EW Δm% seed std \d+\.\d\d pp \(n = 2\); a paired difference of ≥ \d+\.\d\d pp vs EW is detectable with 2 seeds/);
});

t.test('HTML report and gate on the real run', async (t) => {
  const r = await buildHtmlReport(db);
  t.same(r.plotErrors, []);
  t.ok(r.plots >= 4, `curves, weights, Δm% vs T (${r.plots} plots)`);
  t.match(r.html, /id="deltam-vs-T"/);
  t.match(r.html, /TF\.js backend<\/th><td>wasm/);
  const model = buildResults(readSnapshot(db));
  const res = compareToBaseline(freezeBaseline(model), model);
  t.same([res.regressed, res.missing], [0, 0], 'an unchanged record passes');
});

t.test('a report reads a record while a writer holds it (WAL)', async (t) => {
  const writer = new Database(db);
  writer.pragma('busy_timeout = 1000');
  writer.exec('BEGIN IMMEDIATE');
  writer.prepare("UPDATE runs SET status = 'running' WHERE label = 'EW' AND seed = 1").run();
  try {
    const model = buildResults(readSnapshot(db));
    const ew = model.benchmarks[0]!.conditions[0]!.rows.find((r) => r.label === 'EW')!;
    t.equal(ew.seeds.length, 2, 'the uncommitted change is not seen');
    const r = await buildHtmlReport(db);
    t.same(r.plotErrors, []);
  } finally {
    writer.exec('COMMIT');
    writer.close();
  }
  const after = buildResults(readSnapshot(db));
  t.same(after.incomplete.map((r) => [r.label, r.status]), [['EW', 'running']], 'a running run is listed, not averaged');
  t.equal(after.benchmarks[0]!.conditions[0]!.rows.find((r) => r.label === 'EW')!.seeds.length, 1);
});
