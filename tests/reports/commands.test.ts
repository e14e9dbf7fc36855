import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { applyFloors, deltaMOfRows, parseDeltaMInput } from '../../reports/deltam-input.js';
import { loadModel, selectTables } from '../../reports/commands.js';
import { getFormat } from '../../reports/formats/index.js';
import { compareToBaseline, freezeBaseline, gateFails, loadBaseline, renderRegress, toleranceFor } from '../../reports/regress.js';
import { buildResults } from '../../reports/results.js';
import { readSnapshot } from '../../reports/source.js';
import { parseCsv } from './checks.js';
import { makeHandDb } from './fixture.js';

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtl-cmd-'));
const cli = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, ...(input !== undefined ? { input } : {}) });
const db = join(dir, 'hand.sqlite');
makeHandDb(db);

// A LibMTL-style example (NYUv2-like: two segmentation metrics ↑, two depth errors ↓, one normal
// error ↓), by hand:
//   A: seg ((0.55−0.5)/0.5 + 0)/2 = 0.05; depth ((0.4−0.38)/0.4 + 0)/2 = 0.025; normal (25−20)/25 = 0.2
//      per task: (0.05 + 0.025 + 0.2)/3 = 9.1667%; per metric: (0.1 + 0 + 0.05 + 0 + 0.2)/5 = 7%
//   B: seg (−0.1 − 0.05)/2; depth (−0.1 − 0.1)/2; normal −0.04 → per task −7.1667%
const input = {
  metrics: [
    { task: 'segmentation', name: 'mIoU', higherIsBetter: true },
    { task: 'segmentation', name: 'pixAcc', higherIsBetter: true },
    { task: 'depth', name: 'absErr', higherIsBetter: false },
    { task: 'depth', name: 'relErr', higherIsBetter: false },
    { task: 'normal', name: 'mean', higherIsBetter: false },
  ],
  baseline: [0.5, 0.8, 0.4, 0.2, 25],
  rows: { A: [0.55, 0.8, 0.38, 0.2, 20], B: [0.45, 0.76, 0.44, 0.22, 26] },
  average: 'per-task',
};

t.test('deltam: hand-computed values, both averagings', async (t) => {
  const file = join(dir, 'rows.json');
  writeFileSync(file, JSON.stringify(input));
  const r = cli(['deltam', '--input', file]);
  t.equal(r.status, 0, r.stderr);
  const parsed = JSON.parse(r.stdout) as { deltaM: Record<string, number>; excluded: unknown[]; tasks: string[] };
  const out = parsed.deltaM;
  t.same(Object.keys(out), ['A', 'B']);
  t.ok(Math.abs(out.A! - 27.5 / 3) < 1e-9, `A = ${out.A}`);
  t.ok(Math.abs(out.B! - -21.5 / 3) < 1e-9, `B = ${out.B}`);
  t.same(parsed.excluded, [], 'nothing excluded');
  t.same(parsed.tasks, ['segmentation', 'depth', 'normal']);
  const flat = deltaMOfRows(parseDeltaMInput({ ...input, average: 'per-metric' })).deltaM;
  t.ok(Math.abs(flat.A! - 7) < 1e-9);
  const piped = cli(['deltam', '--input=-', '--precision', '2'], JSON.stringify(input));
  t.same(JSON.parse(piped.stdout).deltaM, { A: 9.17, B: -7.17 }, 'stdin and rounding');
});

t.test('deltam: the floor rule leaves out a non-positive or near-zero baseline and says so', async (t) => {
  type Out = ReturnType<typeof deltaMOfRows>;
  const run = (raw: unknown, floors: string[] = []): Out => deltaMOfRows(applyFloors(parseDeltaMInput(raw), floors));
  // Baseline mIoU −0.0169 (of the wrong sign): without the rule A's seg term would be
  // (0.55 + 0.0169)/−0.0169 ≈ −33.5, i.e. −3,350 %. With it, seg averages pixAcc alone: 0.
  const o = run({ ...input, baseline: [-0.0169, 0.8, 0.4, 0.2, 25] });
  t.same(o.excluded.map((e) => [e.task, e.name, e.baseline, e.reason]), [['segmentation', 'mIoU', -0.0169, 'non-positive']]);
  t.match(o.excluded[0]!.why, /-0\.0169 ≤ 0/);
  // A: seg 0 (pixAcc unchanged); depth 0.025; normal 0.2 → (0 + 0.025 + 0.2)/3.
  t.ok(Math.abs(o.deltaM.A! - 22.5 / 3) < 1e-9, `A = ${o.deltaM.A}`);
  t.ok(Math.abs(o.deltaM.A!) < 100 && Math.abs(o.deltaM.B!) < 100, 'no ±hundreds of %');
  // Near zero: without a floor the default (1e-6) lets it through and the term explodes; a floor
  // given on the command line excludes it.
  const tiny = { ...input, baseline: [1e-4, 0.8, 0.4, 0.2, 25] };
  const loose = run(tiny);
  t.same(loose.excluded, []);
  t.ok(loose.deltaM.A! > 1000, 'the explosion the floor prevents');
  const r = cli(['deltam', '--input=-', '--floor', 'segmentation.mIoU=0.01'], JSON.stringify(tiny));
  t.equal(r.status, 0, r.stderr);
  const floored = JSON.parse(r.stdout) as Out;
  t.same(floored.excluded.map((e) => [e.name, e.baseline, e.floor, e.reason]), [['mIoU', 1e-4, 0.01, 'below-floor']]);
  t.ok(Math.abs(floored.deltaM.A! - 22.5 / 3) < 1e-9);
  // A bare value is the floor of every metric without one: here all but normal.mean (25) fall.
  const all = run(input, ['1']);
  t.same(all.excluded.map((e) => e.name), ['mIoU', 'pixAcc', 'absErr', 'relErr']);
  t.same(all.tasks, ['normal']);
  t.match(all.note, /every metric of segmentation, depth is left out: Δm% averages over normal/);
  t.ok(Math.abs(all.deltaM.A! - 20) < 1e-9, 'normal alone: (25 − 20)/25');
  t.same(run(input, ['1', 'normal.mean=0.5']).tasks, ['normal'], 'a metric’s own floor wins over the bare value');
  const none = run(input, ['100']);
  t.same(none.deltaM, { A: null, B: null });
  t.match(none.note, /unavailable/);
  // A floor declared in the input works like the option.
  const declared = { ...tiny, metrics: [{ ...input.metrics[0]!, floor: 0.01 }, ...input.metrics.slice(1)] };
  t.same(run(declared).excluded.map((e) => e.name), ['mIoU']);
  for (const bad of ['x', 'segmentation.mIoU=-1', 'nosuch.metric=1', 'a=b=1', '=1', 'segmentation.mIoU=']) {
    t.throws(() => run(input, [bad]), { name: 'ConfigError', message: /^--floor: got / }, bad);
  }
  t.throws(() => run(input, ['nosuch.metric=1']), { message: /--floor: got "nosuch\.metric=1", expected a metric of the input \(segmentation\.mIoU, / });
});

t.test('deltam: errors name the field (exit 2)', async (t) => {
  const bad = { ...input, metrics: [input.metrics[0], { task: 'depth', name: 'absErr', higherIsBetter: 'no' }, ...input.metrics.slice(2)] };
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify(bad));
  const r = cli(['deltam', '--input', file]);
  t.equal(r.status, 2);
  t.match(r.stderr, /metrics\[1\]\.higherIsBetter: got "no", expected true or false/);
  const cases: [unknown, RegExp][] = [
    [{ ...input, rows: { A: [1, 2] } }, /rows\["A"\]: got "2 values", expected 5 values/],
    [{ ...input, rows: { A: [1, 2, 3, 'x', 5] } }, /rows\["A"\]\[3\]: got "x", expected a finite number/],
    [{ ...input, baseline: [0.5, NaN, 0.4, 0.2, 25] }, /baseline\[1\]: got .*, expected a finite number/],
    [{ ...input, metrics: [{ ...input.metrics[0], floor: -1 }, ...input.metrics.slice(1)] }, /metrics\[0\]\.floor: got -1, expected a finite number >= 0/],
    [{ ...input, average: 'mean' }, /average: got "mean", expected one of "per-task", "per-metric"/],
    [{ ...input, metrics: [] }, /^metrics: /],
    [{ ...input, extra: 1 }, /^extra: got 1, expected no such field/],
    [{ ...input, metrics: [input.metrics[0], input.metrics[0]] }, /metrics\[1\]: got "segmentation.mIoU", expected each task.name declared once/],
  ];
  for (const [raw, re] of cases) t.throws(() => parseDeltaMInput(raw), re);
  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, '{');
  const r2 = cli(['deltam', '--input', notJson]);
  t.equal(r2.status, 2);
  t.match(r2.stderr, /not\.json: not valid JSON/);
});

t.test('report table: formats through the CLI, errors name the option', async (t) => {
  const md = cli(['report', 'table', '--db', db]);
  t.equal(md.status, 0, md.stderr);
  t.match(md.stdout, /\| EW \| \*\*0\.860 ± 0\.028\*\* \|/);
  t.match(md.stdout, /Baseline B: single-task baseline/);
  const recs = parseCsv(getFormat('csv').render(selectTables(loadModel({ db, average: 'per-task' }), { condition: 'all', view: 'methods', published: true })));
  t.same([...new Set(recs.slice(1).map((r) => r[0]!.replace(/.*condition /, '')))], ['clean', 'snr0dB', 'abrupt2s@-9dB']);
  t.throws(() => selectTables(loadModel({ db, average: 'per-task' }), { condition: 'snr9dB', view: 'methods', published: true }), /--condition: got "snr9dB", expected one of clean, snr0dB, abrupt2s@-9dB, all/);
  t.throws(() => loadModel({ db: join(dir, 'nope.sqlite'), average: 'per-task' }), /nope\.sqlite: no such file/);
  t.throws(() => loadModel({ db, task: 'nyuv2', average: 'per-task' }), /--task: got "nyuv2", expected a task\/preset present in .* \(toy\/ci\)/);
  t.equal(selectTables(loadModel({ db, average: 'per-task' }), { condition: 'clean', view: 'noise', published: true }).length, 1, '--view noise: one table');
});

t.test('baseline/regress: tolerance rule and direction (API)', async (t) => {
  t.same(toleranceFor({ mean: 2, std: 0.1, n: 3 }, 3, 0.05), { tolerance: 3 * 0.1, rule: '3σ' });
  t.same(toleranceFor({ mean: 2, std: null, n: 1 }, 3, 0.05), { tolerance: 0.1, rule: '5.0% rel' });
  t.equal(toleranceFor({ mean: 2, std: 0, n: 2 }, 3, 0.05).rule, '5.0% rel', 'no spread: relative');
  const model = buildResults(readSnapshot(db));
  const base = freezeBaseline(model, 'then');
  const ew = base.entries.filter((e) => e.label === 'EW' && e.condition === 'clean');
  t.same(ew.map((e) => `${e.task}.${e.metric}`), ['A.acc', 'B.err']);
  t.same(base.entries.filter((e) => e.label === 'STL(A)').map((e) => `${e.task}.${e.metric}`), ['A.acc'], 'an STL row keeps its own task');
  t.notOk(base.entries.some((e) => e.label === 'Single-task baseline'));
  const same = compareToBaseline(base, model);
  t.same([same.regressed, same.missing, same.improved, same.ok], [0, 0, 0, base.entries.length]);
  // A baseline where EW had A.acc (↑) 0.5 lower and B.err (↓) 2 lower than now: the current record
  // is better in A.acc (improved) and worse in B.err by 2 > 3·0.424 (regressed).
  const shifted = { ...base, entries: base.entries.map((e) => (e.label === 'EW' && e.condition === 'clean' ? { ...e, mean: e.task === 'A' ? e.mean - 0.5 : e.mean - 2 } : e)) };
  const r = compareToBaseline(shifted, model);
  t.same([r.regressed, r.improved, r.missing], [1, 1, 0]);
  const reg = r.comparisons.find((c) => c.status === 'regressed')!;
  t.same([reg.entry.label, reg.entry.task, Number(reg.change.toFixed(9)), Number(reg.tolerance.toFixed(9))], ['EW', 'B', 2, Number((3 * 0.3 * Math.SQRT2).toFixed(9))]);
  t.equal(r.comparisons.find((c) => c.status === 'improved')!.entry.task, 'A');
  const unknown = { ...base, entries: [{ ...base.entries[0]!, higherIsBetter: null, mean: base.entries[0]!.mean + 1 }] };
  t.equal(compareToBaseline(unknown, model).regressed, 1, 'unknown direction: any change beyond the tolerance');
});

t.test('baseline/regress through the CLI: unchanged passes, a worse metric fails with exit 1, missing rows fail', async (t) => {
  const baseFile = join(dir, 'baseline.json');
  const b = cli(['baseline', '--db', db, '--out', baseFile]);
  t.equal(b.status, 0, b.stderr);
  const frozen = JSON.parse(readFileSync(baseFile, 'utf8'));
  t.equal(frozen.format, 'mtl-bench-baseline');
  t.same(frozen.provenance['toy/ci|clean|validation|3'].gitCommits, ['abc1234']);
  const pass = cli(['regress', '--db', db, '--baseline', baseFile]);
  t.equal(pass.status, 0, pass.stdout + pass.stderr);
  t.match(pass.stdout, /0 regressed, 0 missing, 0 improved/);
  t.match(pass.stdout, /regress: PASS/);
  // A worse record: EW's B.err (lower is better) up by 2 in both seeds; CAGrad's run of seed 1 errored.
  const worse = join(dir, 'worse.sqlite');
  copyFileSync(db, worse);
  const w = new Database(worse);
  w.prepare("UPDATE evaluations SET value = value + 2 WHERE task = 'B' AND condition = 'clean' AND run_id IN (SELECT id FROM runs WHERE label = 'EW')").run();
  w.prepare("UPDATE evaluations SET value = value + 0.5 WHERE task = 'A' AND condition = 'clean' AND run_id IN (SELECT id FROM runs WHERE label = 'STL(A)')").run();
  w.close();
  const fail = cli(['regress', '--db', worse, '--baseline', baseFile]);
  t.equal(fail.status, 1, 'exit 1 on a regression');
  t.match(fail.stdout, /REGRESSED\s+toy\/ci\s+clean\s+EW\s+B\.err ↓\s+2\.1 ± 0\.4243 \(n=2\)\s+4\.1 ± 0\.4243 \(n=2\)\s+\+2\s+1\.273 \(3σ\)/);
  t.match(fail.stdout, /IMPROVED\s+toy\/ci\s+clean\s+STL\(A\)\s+A\.acc ↑/, 'a better metric is reported, not failed');
  t.match(fail.stdout, /1 regressed, 0 missing, 1 improved/);
  t.match(fail.stdout, /regress: FAIL/);
  t.equal(compareToBaseline(frozen, buildResults(readSnapshot(worse)), { sigmas: 6 }).regressed, 0, 'within 6σ');
  const gone = join(dir, 'gone.sqlite');
  copyFileSync(db, gone);
  const g = new Database(gone);
  g.prepare("UPDATE runs SET status = 'errored', error = 'boom' WHERE label LIKE 'CAGrad%' AND seed = 1").run();
  g.prepare("DELETE FROM evaluations WHERE run_id IN (SELECT id FROM runs WHERE label = 'PCGrad')").run();
  g.prepare("UPDATE runs SET status = 'errored' WHERE label = 'PCGrad'").run();
  g.close();
  const gr = compareToBaseline(frozen, buildResults(readSnapshot(gone)));
  t.same([gr.regressed, gr.missing], [0, 2], 'missing rows are counted');
  t.equal(gateFails(gr), true, 'missing rows fail the gate');
  t.equal(gateFails(gr, true), false, '... unless --allow-missing');
  const missText = renderRegress(gr);
  t.match(missText, /MISSING\s+toy\/ci\s+clean\s+PCGrad\s+A\.acc ↑/);
  t.match(missText, /0 regressed, 2 missing/);
  t.match(renderRegress(compareToBaseline(frozen, buildResults(readSnapshot(db))), { all: true }), /^status\s+benchmark/);
  const badBase = join(dir, 'bad-baseline.json');
  writeFileSync(badBase, JSON.stringify({ ...frozen, entries: [{ ...frozen.entries[0], n: 0 }] }));
  t.throws(() => loadBaseline(badBase), /bad-baseline\.json: entries\[0\]\.n: expected an integer >= 1/);
  t.throws(() => compareToBaseline(frozen, buildResults(readSnapshot(db)), { sigmas: -1 }), /--tolerance-sigmas: got -1/);
});
