/**
 * Verified checkpoints: any damaged, truncated, foreign or missing checkpoint file is refused with
 * one line naming the file, and a run resuming from one falls back to the previous good checkpoint
 * or restarts from scratch, and still ends with the numbers of an uninterrupted run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { DataError } from '../../src/errors.js';
import { decodeJson, encodeJson, readCheckpoint, writeCheckpoint } from '../../src/run/checkpoint.js';
import { mergeDatabases } from '../../src/run/merge.js';

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtl-ckpt-'));
const cli = (a: string[]) => spawnSync(process.execPath, [BIN, ...a], { encoding: 'utf8', cwd: dir });

t.test('header JSON keeps NaN, ±Infinity and -0', async (t) => {
  const v = { a: [NaN, Infinity, -Infinity, -0, 0, 1.5e-300], b: { c: -Infinity }, d: null };
  const back = decodeJson<typeof v>(encodeJson(v));
  t.ok(Number.isNaN(back.a[0]));
  t.strictSame(back.a.slice(1), [Infinity, -Infinity, -0, 0, 1.5e-300]);
  t.ok(Object.is(back.a[3], -0), '-0 stays -0');
  t.equal(back.b.c, -Infinity);
  t.equal(back.d, null);
});

t.test('every damaged byte and every truncation of a checkpoint is refused with one line naming the file', async (t) => {
  const file = join(dir, 'unit.ckpt');
  const tensors = [
    { name: 'model/0', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    { name: 'opt/shared/0/0', shape: [4], data: Float32Array.from([-1, 0.5, 1e-8, 7]) },
  ];
  writeCheckpoint(file, { header: { key: 'run-a', epoch: 2, score: -Infinity }, tensors });
  const good = readFileSync(file);
  const back = readCheckpoint<{ key: string; epoch: number; score: number }>(file, 'run-a');
  t.equal(back.header.score, -Infinity);
  t.strictSame(back.tensors.map((x) => Array.from(x.data)), tensors.map((x) => Array.from(x.data)));
  const refused = (why: string): void => {
    try {
      readCheckpoint(file, 'run-a');
      t.fail(`${why}: accepted`);
    } catch (e) {
      if (!(e instanceof DataError) || !e.message.startsWith(file) || e.message.includes('\n')) t.fail(`${why}: ${String(e)}`);
    }
  };
  let flips = 0;
  for (let i = 0; i < good.length; i++) {
    const bad = Buffer.from(good);
    bad[i] = (bad[i]! ^ 0x5a) & 0xff;
    writeFileSync(file, bad);
    refused(`byte ${i} changed`);
    flips++;
  }
  for (let n = 0; n < good.length; n++) {
    writeFileSync(file, good.subarray(0, n));
    refused(`truncated to ${n} bytes`);
  }
  writeFileSync(file, Buffer.concat([good, Buffer.from([0])]));
  refused('a byte appended');
  writeFileSync(file, good);
  t.throws(() => readCheckpoint(file, 'run-b'), /checkpoint of another run \(run-a\), expected run-b/, 'foreign checkpoint');
  rmSync(file);
  t.throws(() => readCheckpoint(file, 'run-a'), /unit\.ckpt: cannot read checkpoint \(ENOENT\)/, 'missing checkpoint');
  t.equal(flips, good.length, `all ${good.length} single-byte changes refused`);
});

// A run killed after 2 of 3 epochs; its checkpoints are then damaged in each way before resuming.
const args = ['run', '--preset', 'regression-ci', '--optimizers', 'UW', '--seeds', '0', '--epochs', '3', '--data-dir', join(dir, 'data')];
const ref = join(dir, 'ref.sqlite');
const crashed = join(dir, 'crashed.sqlite');
let runKey = '';

function numbers(db: string) {
  const d = new Database(db, { readonly: true });
  const q = (sql: string) => d.prepare(sql).all();
  const out = {
    runs: q('SELECT key, status, epochs_done, best_epoch FROM runs ORDER BY key'),
    metrics: q('SELECT r.key, m.epoch, m.split, m.task, m.metric, m.value FROM epoch_metrics m JOIN runs r ON r.id = m.run_id ORDER BY 1, 2, 3, 4, 5'),
    weights: q('SELECT r.key, w.epoch, w.step, w.task, w.weight FROM task_weights w JOIN runs r ON r.id = w.run_id ORDER BY 1, 2, 3, 4'),
    evals: q('SELECT r.key, e.condition, e.task, e.metric, e.value FROM evaluations e JOIN runs r ON r.id = e.run_id ORDER BY 1, 2, 3, 4'),
  };
  d.close();
  return out;
}

/** A copy of the crashed record (database and checkpoints) to damage. */
function copyCrashed(name: string): { db: string; ck: string } {
  const db = join(dir, `${name}.sqlite`);
  copyFileSync(crashed, db);
  cpSync(`${crashed}.checkpoints`, `${db}.checkpoints`, { recursive: true });
  return { db, ck: join(`${db}.checkpoints`, runKey) };
}

t.test('resuming from damaged, truncated, foreign or missing checkpoints', async (t) => {
  t.equal(cli([...args, '--db', ref]).status, 0, 'reference run');
  const r0 = cli([...args, '--db', crashed, '--crash-after-epochs', '2']);
  t.equal(r0.signal, 'SIGKILL');
  const d = new Database(crashed);
  d.pragma('wal_checkpoint(TRUNCATE)');
  runKey = (d.prepare("SELECT key FROM runs WHERE status = 'running'").get() as { key: string }).key;
  d.close();
  const ck = join(`${crashed}.checkpoints`, runKey);
  t.ok(existsSync(join(ck, 'epoch-1.ckpt')) && existsSync(join(ck, 'epoch-2.ckpt')), 'the last two epoch checkpoints are kept');
  const want = numbers(ref);

  const overwriteFloats = (file: string): void => {
    const b = readFileSync(file);
    for (let i = 0; i < 100; i++) b.writeFloatLE(12345.678, b.length - 4 * (i + 1));
    writeFileSync(file, b);
  };
  const cases: { name: string; damage: (ck: string) => void; expect: RegExp[] }[] = [
    { name: 'corrupt', damage: (c) => overwriteFloats(join(c, 'epoch-2.ckpt')), expect: [/epoch-2\.ckpt: checkpoint checksum mismatch/, /previous good checkpoint \(epoch 1\)/, /resuming at epoch 1/] },
    {
      name: 'foreign',
      damage: (c) => {
        const f = join(c, 'epoch-2.ckpt');
        const other = readCheckpoint<{ key: string }>(f, runKey);
        writeCheckpoint(f, { header: { ...other.header, key: 'another-run' }, tensors: other.tensors });
      },
      expect: [/epoch-2\.ckpt: checkpoint of another run \(another-run\)/, /resuming at epoch 1/],
    },
    { name: 'missing', damage: (c) => rmSync(join(c, 'epoch-2.ckpt')), expect: [/epoch-2\.ckpt: checkpoint missing/, /resuming at epoch 1/] },
    {
      name: 'all-bad',
      damage: (c) => {
        overwriteFloats(join(c, 'epoch-2.ckpt'));
        truncateSync(join(c, 'epoch-1.ckpt'), 10);
      },
      expect: [/epoch-2\.ckpt: checkpoint checksum mismatch/, /epoch-1\.ckpt: not an mtl-bench checkpoint/, /restarts from scratch/],
    },
    {
      name: 'best-missing',
      damage: (c) => {
        for (const f of readdirSync(c)) if (f.startsWith('best-')) rmSync(join(c, f));
      },
      expect: [/best-\d+\.ckpt: cannot read checkpoint \(ENOENT\)/, /restarts from scratch/],
    },
  ];
  for (const c of cases) {
    const { db, ck } = copyCrashed(c.name);
    c.damage(ck);
    const r = cli([...args, '--db', db]);
    t.equal(r.status, 0, `${c.name}: the re-run completes (${r.stderr.trim()})`);
    for (const re of c.expect) t.match(r.stdout, re, `${c.name}: reported ${re}`);
    t.notMatch(r.stdout + r.stderr, /\n\s+at /, `${c.name}: no stack trace`);
    t.strictSame(numbers(db), want, `${c.name}: same numbers as the uninterrupted run`);
  }
});

t.test('merging an interrupted record carries its checkpoints, or resets the run when it has none', async (t) => {
  const want = numbers(ref);
  for (const withFiles of [true, false]) {
    const { db } = copyCrashed(`merge-src-${withFiles}`);
    if (!withFiles) rmSync(`${db}.checkpoints`, { recursive: true });
    const into = join(dir, `merged-${withFiles}.sqlite`);
    mergeDatabases([db], into);
    t.equal(existsSync(join(`${into}.checkpoints`, runKey, 'epoch-2.ckpt')), withFiles, withFiles ? 'checkpoints copied' : 'nothing to copy');
    const r = cli([...args, '--db', into]);
    t.equal(r.status, 0, r.stderr);
    if (withFiles) t.match(r.stdout, /resuming at epoch 2/, 'continues where the shard stopped');
    t.notMatch(r.stdout, /checkpoint missing|restarts from scratch/, 'no complaint: the run was reset cleanly');
    t.strictSame(numbers(into), want, 'same numbers as an uninterrupted run');
  }
});
