import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { mergeDatabases } from '../../src/run/merge.js';
import { APPLICATION_ID, openDb, SCHEMA_VERSION } from '../../src/run/db.js';

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtl-merge-'));
const args = ['run', '--preset', 'regression-ci', '--optimizers', 'EW,PCGrad,MGDA', '--seeds', '0', '--epochs', '2', '--data-dir', join(dir, 'data')];
const cli = (a: string[]) => spawnSync(process.execPath, [BIN, ...a], { encoding: 'utf8', cwd: dir });

const finals = (file: string) => {
  const d = new Database(file, { readonly: true });
  const rows = d.prepare('SELECT r.key, r.status, e.condition, e.task, e.metric, e.value FROM runs r LEFT JOIN evaluations e ON e.run_id = r.id ORDER BY 1, 3, 4, 5').all();
  d.close();
  return rows;
};

t.test('shards run separately and merge into the same record as one full run; merging is idempotent', async (t) => {
  const full = join(dir, 'full.sqlite');
  t.equal(cli([...args, '--db', full]).status, 0);
  const s1 = join(dir, 's1.sqlite');
  const s2 = join(dir, 's2.sqlite');
  t.equal(cli([...args, '--db', s1, '--shard', '1/2']).status, 0);
  t.equal(cli([...args, '--db', s2, '--shard', '2/2']).status, 0);
  const all = join(dir, 'all.sqlite');
  const r1 = mergeDatabases([s1, s2], all);
  t.equal(r1.copied, 7, 'seven runs copied (six trained, one trivial)');
  t.same(r1.conflicts, []);
  t.same(finals(all), finals(full), 'merged shards equal the full run');
  const r2 = mergeDatabases([s1, s2], all);
  t.same({ copied: r2.copied, identical: r2.identical, conflicts: r2.conflicts.length }, { copied: 0, identical: 7, conflicts: 0 }, 'second merge changes nothing');
  t.same(finals(all), finals(full));
  // A conflicting duplicate: same run key, different numbers.
  const d = new Database(s1);
  d.prepare("UPDATE evaluations SET value = value + 1 WHERE run_id = (SELECT min(id) FROM runs)").run();
  d.close();
  const r3 = mergeDatabases([s1], all);
  t.equal(r3.conflicts.length, 1, 'conflict reported');
  t.match(r3.conflicts[0]!.detail, /different final metrics/);
  const c = cli(['merge', s1, '--into', all]);
  t.equal(c.status, 3, 'the CLI exits 3 on conflicts');
  t.match(c.stdout, /conflict: .* from .*s1\.sqlite/);
});

t.test('schema: version, views, and refusal of foreign or newer files', async (t) => {
  const f = join(dir, 'schema.sqlite');
  const db = openDb(f);
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  const names = (db.prepare("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name").all() as { name: string; type: string }[]).map((r) => `${r.type}:${r.name}`);
  for (const x of ['table:runs', 'table:epoch_metrics', 'table:task_weights', 'table:evaluations', 'table:timings', 'table:examples', 'view:final_metrics', 'view:training_curves', 'view:run_cost', 'view:run_summary']) t.ok(names.includes(x), x);
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
  db.close();
  const foreign = join(dir, 'foreign.sqlite');
  const fd = new Database(foreign);
  fd.exec('CREATE TABLE x (a)');
  fd.close();
  t.throws(() => openDb(foreign), { name: 'DataError', message: /foreign\.sqlite: a foreign SQLite database .*expected an mtl-bench SQLite record/ });
  const newer = join(dir, 'newer.sqlite');
  const nd = new Database(newer);
  nd.pragma(`application_id = ${APPLICATION_ID}`);
  nd.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  nd.close();
  t.throws(() => openDb(newer), { message: /newer than this mtl-bench/ });
});

t.test('two worker processes share one database', async (t) => {
  const db = join(dir, 'jobs.sqlite');
  const r = cli([...args, '--db', db, '--jobs', '2']);
  t.equal(r.status, 0, r.stderr);
  const d = new Database(db, { readonly: true });
  const st = d.prepare('SELECT status, count(*) AS n FROM runs GROUP BY status').all();
  const pids = d.prepare('SELECT count(DISTINCT worker_pid) AS n FROM runs').get() as { n: number };
  d.close();
  t.same(st, [{ status: 'completed', n: 7 }]);
  t.same(finals(db), finals(join(dir, 'full.sqlite')), 'same numbers as the sequential run');
  void pids;
});
