/**
 * Property tests of how records are opened: every damaged, foreign or misplaced file given as a
 * record (to report, baseline, regress, merge as a source or target, run --db) is refused with one
 * line naming the file, exit 2, and every file that existed before is byte-for-byte unchanged (no
 * WAL switch, no migration, no target created). Most variants are checked in-process through the
 * functions the commands call; a sample of each kind goes through real `mtl-bench` processes.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { loadModel } from '../../reports/commands.js';
import { freezeBaseline } from '../../reports/regress.js';
import { readSnapshot } from '../../reports/source.js';
import { APPLICATION_ID, openDb, SCHEMA_VERSION } from '../../src/run/db.js';
import { mergeDatabases } from '../../src/run/merge.js';
import { makeHandDb } from '../reports/fixture.js';
import { changedFiles, hashTree, oneLineProblem, rng, runCliAll, truncations } from '../helpers/malformed.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-records-'));
const good = join(dir, 'good.sqlite');
makeHandDb(good);
// A checkpointed, closed record: the whole file is in the main database file.
const goodBytes = readFileSync(good);
const target = join(dir, 'target.sqlite');
copyFileSync(good, target);
writeFileSync(join(dir, 'baseline.json'), `${JSON.stringify(freezeBaseline(loadModel({ db: good, average: 'per-task' })))}\n`);
const vdir = join(dir, 'v');
mkdirSync(vdir);

interface Variant {
  readonly name: string;
  readonly file: string;
  /** run --db may accept it (a 0-byte file becomes a new record). */
  readonly writableOk?: boolean;
}

const variants: Variant[] = [];
const add = (name: string, bytes: Buffer | string, extra: Partial<Variant> = {}): void => {
  const file = join(vdir, `${name}.sqlite`);
  writeFileSync(file, bytes);
  variants.push({ name, file, ...extra });
};

add('empty', Buffer.alloc(0), { writableOk: true });
add('yaml', 'name: sweep\ntask: radar-ecg\n');
add('text-long', 'x'.repeat(8192));
mkdirSync(join(vdir, 'directory.sqlite'));
variants.push({ name: 'directory', file: join(vdir, 'directory.sqlite') });
const pageSize = goodBytes.readUInt16BE(16);
for (const n of truncations(goodBytes.length, [1, 15, 16, 17, 50, 99, 100, 101, 511, pageSize - 1, pageSize + 1, goodBytes.length - 1, goodBytes.length - pageSize], 10, 7)) {
  add(`trunc-${n}`, goodBytes.subarray(0, n));
}
// Whole pages cut off the end: the header still counts them.
for (const pages of [1, 2]) if (goodBytes.length > pages * pageSize * 2) add(`short-${pages}p`, goodBytes.subarray(0, goodBytes.length - pages * pageSize));
// Header fields broken: magic, page size, file format bytes.
for (const [off, val] of [[0, 0x00], [5, 0x41], [15, 0x20], [16, 0x03], [17, 0x01], [18, 0x07], [19, 0x00]] as const) {
  const b = Buffer.from(goodBytes);
  b[off] = val;
  add(`header-${off}-${val}`, b);
}
// B-tree pages whose page-type byte is not a page type: SQLite's structural check finds them.
for (let p = 2; p <= Math.min(goodBytes.length / pageSize, 6); p++) {
  const b = Buffer.from(goodBytes);
  b[(p - 1) * pageSize] = 0x07;
  add(`pagetype-${p}`, b);
}

// Foreign SQLite files.
const sqlite = (name: string, setup: (d: Database.Database) => void, extra: Partial<Variant> = {}): void => {
  const file = join(vdir, `${name}.sqlite`);
  const d = new Database(file);
  setup(d);
  d.close();
  variants.push({ name, file, ...extra });
};
sqlite('foreign-tables', (d) => d.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES (\'keep me\')'));
sqlite('foreign-wal', (d) => {
  d.pragma('journal_mode = WAL');
  d.exec('CREATE TABLE runs (x); INSERT INTO runs VALUES (1)');
});
sqlite('foreign-appid', (d) => {
  d.pragma('application_id = 1234');
  d.exec('CREATE TABLE runs (x)');
  d.pragma('user_version = 1');
});
sqlite('foreign-version-wal', (d) => {
  d.pragma('journal_mode = WAL');
  d.exec('CREATE TABLE other (x)');
  d.pragma('user_version = 2');
});
sqlite('empty-sqlite', (d) => d.exec('VACUUM'));
sqlite('newer', (d) => {
  d.pragma(`application_id = ${APPLICATION_ID}`);
  d.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
});

t.test('every malformed or foreign record is refused by every opener, and no file changes', async (t) => {
  t.ok(variants.length >= 40, `${variants.length} variants`);
  for (const v of variants) {
    const before = hashTree(dir);
    const fresh = join(dir, `fresh-${v.name}.sqlite`);
    const failures: string[] = [];
    const expectThrow = (what: string, f: () => unknown): void => {
      try {
        f();
        failures.push(`${what}: accepted`);
      } catch (e) {
        const err = e as Error;
        if (err.name !== 'DataError') failures.push(`${what}: ${err.name}: ${err.message}`);
        else if (err.message.includes('\n') || !err.message.includes(v.file)) failures.push(`${what}: message ${JSON.stringify(err.message)}`);
      }
    };
    expectThrow('report/baseline/regress (read-only)', () => readSnapshot(v.file));
    expectThrow('merge source into a new target', () => mergeDatabases([v.file], fresh));
    expectThrow('merge source into an existing target', () => mergeDatabases([good, v.file], target));
    if (!v.writableOk) {
      expectThrow('run --db', () => openDb(v.file).close());
      expectThrow('merge --into', () => mergeDatabases([good], v.file));
    }
    t.same(failures, [], v.name);
    t.same(changedFiles(before, hashTree(dir)), [], `${v.name}: every existing file unchanged`);
    t.notOk(existsSync(fresh), `${v.name}: no target created`);
  }
});

t.test('random byte flips: a damaged record is refused cleanly or read, never crashes, never changes', async (t) => {
  const r = rng(11);
  let refused = 0;
  for (let i = 0; i < 60; i++) {
    const b = Buffer.from(goodBytes);
    const flips = 1 + Math.floor(r() * 8);
    for (let k = 0; k < flips; k++) b[Math.floor(r() * b.length)] ^= 1 + Math.floor(r() * 255);
    const file = join(vdir, `flip-${i}.sqlite`);
    writeFileSync(file, b);
    try {
      readSnapshot(file);
    } catch (e) {
      refused++;
      const err = e as Error;
      t.ok(err.name === 'DataError' && !err.message.includes('\n') && err.message.includes(file), `flip ${i}: ${err.name}: ${err.message}`);
    }
    t.ok(readFileSync(file).equals(b), `flip ${i}: unchanged`);
  }
  t.ok(refused > 0, `${refused} of 60 refused`);
});

t.test('merge refuses a source that is the target under any spelling; a missing source is never created', async (t) => {
  const a = join(dir, 'a.sqlite');
  copyFileSync(good, a);
  symlinkSync(a, join(dir, 'a-link.sqlite'));
  linkSync(a, join(dir, 'a-hard.sqlite'));
  const before = hashTree(dir);
  for (const src of ['./a.sqlite', 'a-link.sqlite', 'a-hard.sqlite', `${dir}/./a.sqlite`]) {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      t.throws(() => mergeDatabases([src], 'a.sqlite'), { name: 'DataError', message: /is the merge target/ }, src);
    } finally {
      process.chdir(cwd);
    }
  }
  t.throws(() => mergeDatabases([good, join(dir, 'typo.sqlite')], join(dir, 'all.sqlite')), { name: 'DataError', message: /typo\.sqlite: no such file/ });
  t.notOk(existsSync(join(dir, 'typo.sqlite')), 'the missing source is not created');
  t.notOk(existsSync(join(dir, 'all.sqlite')), 'no target is created when a source is refused');
  t.same(changedFiles(before, hashTree(dir)), []);
});

t.test('a record of the previous format (no application id) is read unchanged and migrated only by a writer', async (t) => {
  const legacy = join(dir, 'legacy.sqlite');
  copyFileSync(good, legacy);
  const d = new Database(legacy);
  d.pragma('application_id = 0');
  d.pragma('journal_mode = DELETE');
  d.close();
  const bytes = readFileSync(legacy);
  t.equal(bytes.readUInt32BE(68), 0);
  const snap = readSnapshot(legacy);
  t.ok(snap.runs.length > 0, 'read');
  t.ok(readFileSync(legacy).equals(bytes), 'reading leaves it byte-for-byte unchanged');
  const into = join(dir, 'legacy-merged.sqlite');
  const rep = mergeDatabases([legacy], into);
  t.equal(rep.copied, snap.runs.length);
  t.ok(readFileSync(legacy).equals(bytes), 'a merge source is not migrated');
  const w = openDb(legacy);
  t.equal(w.pragma('application_id', { simple: true }), APPLICATION_ID, 'a writer marks it');
  w.close();
  t.equal(readSnapshot(legacy).runs.length, snap.runs.length);
});

t.test('the CLI: one line, exit 2, nothing changed (real processes)', async (t) => {
  const pick = ['empty', 'directory', 'yaml', `trunc-${99}`, 'short-1p', 'header-16-3', 'pagetype-2', 'foreign-wal', 'foreign-appid', 'newer'];
  const chosen = variants.filter((v) => pick.includes(v.name));
  t.ok(chosen.length >= 8, `${chosen.length} variants`);
  const cmds: { v: Variant; args: string[]; fresh?: string }[] = [];
  chosen.forEach((v, i) => {
    const fresh = join(dir, `cli-fresh-${v.name}.sqlite`);
    const kinds = [
      ['report', 'table', '--db', v.file],
      ['merge', v.file, '--into', fresh],
      ['baseline', '--db', v.file, '--out', join(dir, 'baseline.json')],
      ['regress', '--db', v.file, '--baseline', join(dir, 'baseline.json')],
      ['report', 'html', '--db', v.file, '--out', join(dir, 'report.html')],
      ...(v.writableOk ? [] : [['run', '--preset', 'regression-ci', '--epochs', '1', '--db', v.file]]),
    ];
    cmds.push({ v, args: kinds[i % kinds.length]!, fresh });
    if (!v.writableOk && i % 2 === 0) cmds.push({ v, args: ['run', '--preset', 'regression-ci', '--epochs', '1', '--db', v.file] });
  });
  cmds.push({ v: { name: 'self', file: 'a.sqlite' }, args: ['merge', './a.sqlite', '--into', 'a.sqlite'] });
  cmds.push({ v: { name: 'typo', file: 'typo.sqlite' }, args: ['merge', 'typo.sqlite', '--into', 'all-cli.sqlite'] });
  writeFileSync(join(dir, 'report.html'), '<p>previous report</p>\n');
  const before = hashTree(dir);
  const res = await runCliAll(dir, cmds.map((c) => c.args));
  res.forEach((r, i) => {
    const c = cmds[i]!;
    t.equal(r.status, 2, `${r.args.join(' ')}: exit 2 (stderr: ${r.stderr.slice(0, 200)})`);
    t.equal(oneLineProblem(r.stderr, c.v.file), null, `${r.args.join(' ')}: one line naming the file`);
    if (c.fresh && r.args[0] === 'merge') t.notOk(existsSync(c.fresh), 'no merge target created');
  });
  t.same(changedFiles(before, hashTree(dir)), [], 'every existing file unchanged');
  t.notOk(existsSync(join(dir, 'typo.sqlite')) || existsSync(join(dir, 'all-cli.sqlite')), 'nothing created');
  t.ok(statSync(join(dir, 'report.html')).size > 0);
});
