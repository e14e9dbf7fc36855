/**
 * The exports as a user reads them: the tidy CSV and its sidecar through the CLI, read back with
 * Python's `csv` module, and the SQLite views read with Python's `sqlite3`, on a record where the
 * same label and seed were run by two experiments with different epoch budgets.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { TIDY_COLUMNS } from '../../reports/formats/tidy-csv.js';
import { openDb } from '../../src/run/db.js';
import { HAND_RUNS, insertRuns, makeHandDb } from './fixture.js';

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtl-exports-'));
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });
const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['--version']).status === 0);

function python(script: string, ...args: string[]): unknown {
  const r = spawnSync(PYTHON!, ['-c', script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

const db = join(dir, 'hand.sqlite');
makeHandDb(db);

t.test('python is available to read the exports as a user would', async (t) => {
  t.ok(PYTHON, 'python3 found');
});

t.test('tidy CSV: one header line, one row per run × metric × condition, read by csv.DictReader', async (t) => {
  const out = join(dir, 'runs.csv');
  const r = cli(['report', 'table', '--db', db, '--format', 'csv', '--out', out]);
  t.equal(r.status, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  t.notMatch(text, /^#/m, 'no comment lines');
  const read = python(
    `import csv, json, sys
with open(sys.argv[1], newline='') as f:
    rd = csv.DictReader(f)
    print(json.dumps({'header': rd.fieldnames, 'rows': list(rd)}))`,
    out,
  ) as { header: string[]; rows: Record<string, string>[] };
  t.same(read.header, [...TIDY_COLUMNS]);
  // Every stored final metric of a completed run is one row, with its run id, and nothing else is.
  const stored = python(
    `import sqlite3, json, sys
c = sqlite3.connect(sys.argv[1])
print(json.dumps(c.execute("SELECT run_id, experiment, label, seed, epochs, condition, task, metric, value FROM final_metrics").fetchall()))`,
    db,
  ) as [number, string, string, number, number, string, string, string, number][];
  const key = (x: unknown[]) => JSON.stringify(x);
  const fromDb = stored.map((s) => key([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]])).sort();
  const metricRows = read.rows.filter((x) => x.status === 'completed' && x.metric !== 'deltaM' && x.metric !== 'deltaM_vs_EW');
  const fromCsv = metricRows.map((x) => key([Number(x.run_id), x.experiment, x.label, Number(x.seed), Number(x.epochs), x.condition, x.task, x.metric, Number(x.value)])).sort();
  t.same(fromCsv, fromDb, 'the CSV holds exactly the final metrics, value for value');
  t.ok(metricRows.every((x) => (x.metric === 'acc' ? x.direction === 'higher' : x.direction === 'lower')), 'directions');
  // Δm% per seed: EW seeds 0 and 1 are 10 and 20 (fixture).
  const ew = read.rows.filter((x) => x.label === 'EW' && x.metric === 'deltaM' && x.condition === 'clean').map((x) => [Number(x.seed), Number(Number(x.value).toFixed(9))]);
  t.same(ew, [
    [0, 10],
    [1, 20],
  ]);
  // Runs that did not complete: one row each, with what happened and no value.
  const inc = read.rows.filter((x) => x.status !== 'completed');
  t.same(
    inc.map((x) => [x.label, x.status, x.value]),
    HAND_RUNS.filter((h) => h.status && h.status !== 'completed').map((h) => [h.label, h.status, '']),
  );
  t.ok(inc.every((x) => /epoch \d+ of 3/.test(x.note)), 'the note says at which epoch');
  // The sidecar carries the metadata.
  const side = JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) as { layout: string; tables: { deltaMSpecification: string[] }[]; columns: Record<string, string>; notCompleted: unknown[] };
  t.equal(side.layout, 'tidy');
  t.match(side.tables[0]!.deltaMSpecification.join('\n'), /Directions: A\.acc ↑, B\.err ↓/);
  t.same(Object.keys(side.columns), [...TIDY_COLUMNS]);
  t.equal(side.notCompleted.length, 2);
  // --condition filters the metric rows.
  const snr = cli(['report', 'table', '--db', db, '--format', 'csv', '--condition', 'snr0dB']);
  const conds = new Set(snr.stdout.trim().split('\n').slice(1).map((l) => l.split(',').at(-3)));
  t.same([...conds].sort(), ['', 'snr0dB'], 'only snr0dB values (and the incomplete runs)');
});

t.test('wide CSV: the aggregated table, one header line, no comments, sidecar beside', async (t) => {
  const out = join(dir, 'wide.csv');
  const r = cli(['report', 'table', '--db', db, '--format', 'csv', '--wide', '--out', out]);
  t.equal(r.status, 0, r.stderr);
  const read = python(
    `import csv, json, sys
with open(sys.argv[1], newline='') as f:
    rd = csv.DictReader(f)
    print(json.dumps({'header': rd.fieldnames, 'rows': list(rd)}))`,
    out,
  ) as { header: string[]; rows: Record<string, string>[] };
  t.equal(new Set(read.header).size, read.header.length, 'no duplicate column names');
  t.same(read.rows.map((x) => x.label).slice(0, 2), ['Single-task baseline', 'EW']);
  t.equal(Number(read.rows.find((x) => x.label === 'EW')!.deltaM), 15);
  t.ok(read.rows.some((x) => x.kind === 'incomplete' && /errored in epoch 2 of 3/.test(x.note!)));
  t.ok(existsSync(join(dir, 'wide.json')));
  const bad = cli(['report', 'table', '--db', db, '--format', 'md', '--wide']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--wide: got "md", expected --format csv/);
});

t.test('SQLite views: run id, experiment and epochs keep a 4-epoch and an 8-epoch run apart', async (t) => {
  const file = join(dir, 'two.sqlite');
  const h = openDb(file);
  const ew = HAND_RUNS.filter((r) => r.label === 'EW');
  insertRuns(h, ew, { experiment: 'short' });
  h.prepare("UPDATE runs SET key = key || '-short', epochs = 4").run();
  insertRuns(h, ew.map((r) => ({ ...r, evals: { clean: { 'A/acc': 0.5, 'B/err': 5 } } })), { experiment: 'long' });
  h.prepare("UPDATE runs SET epochs = 8 WHERE key NOT LIKE '%-short'").run();
  h.close();
  const res = python(
    `import sqlite3, json, sys
c = sqlite3.connect(sys.argv[1])
cols = {v: [r[1] for r in c.execute("PRAGMA table_info(%s)" % v)] for v in ['run_summary', 'final_metrics', 'training_curves', 'run_cost']}
g = c.execute("SELECT experiment, epochs, label, avg(value), count(DISTINCT run_id) FROM final_metrics WHERE metric = 'acc' AND condition = 'clean' GROUP BY experiment, epochs, label ORDER BY epochs").fetchall()
print(json.dumps({'cols': cols, 'groups': g}))`,
    file,
  ) as { cols: Record<string, string[]>; groups: [string, number, string, number, number][] };
  for (const [v, cols] of Object.entries(res.cols)) for (const c of ['run_id', 'experiment', 'epochs']) t.ok(cols.includes(c), `${v} has ${c}`);
  t.same(
    res.groups.map((g) => [g[0], g[1], g[2], Number(g[3].toFixed(9)), g[4]]),
    [
      ['short', 4, 'EW', 0.86, 2],
      ['long', 8, 'EW', 0.5, 2],
    ],
  );
});
