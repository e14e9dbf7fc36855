import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtl-resume-'));
const common = ['run', '--preset', 'regression-ci', '--optimizers', 'MoCo,UW,EGA', '--seeds', '0', '--epochs', '7', '--data-dir', join(dir, 'data')];

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });
}

/** Everything a run records about its numbers, keyed by run key (ids and times excluded). */
function numbers(db: string) {
  const d = new Database(db, { readonly: true });
  const q = (sql: string) => d.prepare(sql).all();
  const out = {
    runs: q("SELECT key, label, status, epochs_done, best_epoch FROM runs ORDER BY key"),
    metrics: q('SELECT r.key, m.epoch, m.split, m.task, m.metric, m.value FROM epoch_metrics m JOIN runs r ON r.id = m.run_id ORDER BY 1, 2, 3, 4, 5'),
    weights: q('SELECT r.key, w.epoch, w.step, w.task, w.weight FROM task_weights w JOIN runs r ON r.id = w.run_id ORDER BY 1, 2, 3, 4'),
    evals: q('SELECT r.key, e.condition, e.task, e.metric, e.value FROM evaluations e JOIN runs r ON r.id = e.run_id ORDER BY 1, 2, 3, 4'),
  };
  d.close();
  return out;
}

t.test('a run killed with SIGKILL resumes from its checkpoint and gives the same numbers as an uninterrupted run', async (t) => {
  const ref = join(dir, 'ref.sqlite');
  const r0 = cli([...common, '--db', ref]);
  t.equal(r0.status, 0, r0.stderr);

  const db = join(dir, 'crash.sqlite');
  // The hook sends SIGKILL to the process itself after 3 committed epochs of the first run.
  const r1 = cli([...common, '--db', db, '--crash-after-epochs', '3']);
  t.equal(r1.signal, 'SIGKILL', 'first attempt died by SIGKILL');
  const mid = new Database(db, { readonly: true });
  const midRuns = mid.prepare("SELECT status, epochs_done, checkpoint_epoch FROM runs WHERE epochs_done > 0").all() as { status: string; epochs_done: number; checkpoint_epoch: number }[];
  mid.close();
  t.same(midRuns, [{ status: 'running', epochs_done: 3, checkpoint_epoch: 3 }], 'one run left running with 3 committed epochs');

  const r2 = cli([...common, '--db', db]);
  t.equal(r2.status, 0, r2.stderr);
  t.match(r2.stdout, /resuming at epoch 3/);
  t.same(numbers(db), numbers(ref), 'resumed record equals the uninterrupted one');

  const r3 = cli([...common, '--db', db]);
  t.match(r3.stdout, /0 completed, 0 errored, 7 skipped/, 'completed runs are skipped');
  t.same(numbers(db), numbers(ref), 'a third invocation changes nothing');
  t.notOk(existsSync(join(`${db}.checkpoints`, 'x')), 'no stray checkpoints');
});

t.test('a process killed from outside at a random moment leaves a consistent, resumable record', async (t) => {
  const db = join(dir, 'ext.sqlite');
  const args = [...common.slice(0, 4), 'MoCo,EGA', '--seeds', '0,1', '--epochs', '12', '--data-dir', join(dir, 'data'), '--db', db];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: 'ignore' });
  // Wait until something is committed, then kill -9.
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (!existsSync(db)) return;
      try {
        const d = new Database(db, { readonly: true });
        const n = (d.prepare('SELECT count(*) AS n FROM epoch_metrics').get() as { n: number }).n;
        d.close();
        if (n > 30) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      } catch {
        /* database being created */
      }
    }, 20);
  });
  await new Promise((r) => child.on('exit', r));
  const d = new Database(db, { readonly: true });
  // Every committed epoch is complete: per run, epochs 0..epochs_done-1 have train rows for all tasks.
  const bad = d.prepare(`SELECT r.key FROM runs r WHERE (SELECT count(*) FROM epoch_metrics m WHERE m.run_id = r.id AND m.split = 'train') != r.epochs_done * 3`).all();
  d.close();
  t.same(bad, [], 'no partial epochs committed');
  const r = cli(args);
  t.equal(r.status, 0, r.stderr);
  const ref = join(dir, 'ext-ref.sqlite');
  t.equal(cli(args.map((a) => (a === db ? ref : a))).status, 0);
  t.same(numbers(db), numbers(ref), 'resumed record equals an uninterrupted one');
});
