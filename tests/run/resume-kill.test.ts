/**
 * Bit-exact resume under kill -9 of the whole process group at seeded random moments, including
 * during a later run of a process (the runs a process executes after its first one): every
 * re-run continues from the checkpoints, and the final record (per-epoch metrics, task weights,
 * evaluations, selected epochs) equals an uninterrupted run's bit for bit, with --jobs 1 and 2.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { Rng } from '../../src/rng.js';

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtl-resume-kill-'));
// 5 runs (3 single-task, UW, IMTL) of 4 epochs, Adam: a restarted moment changes every later number.
const args = ['run', '--preset', 'regression-ci', '--optimizers', 'UW,IMTL', '--seeds', '0', '--data-dir', join(dir, 'data')];
const RUNS = 5;
const EPOCHS = 4;

/** Everything a run records about its numbers, keyed by run key (ids and times excluded). */
function numbers(db: string) {
  const d = new Database(db, { readonly: true });
  const q = (sql: string) => d.prepare(sql).all();
  const out = {
    runs: q('SELECT key, label, status, epochs_done, best_epoch FROM runs ORDER BY key'),
    metrics: q('SELECT r.key, m.epoch, m.split, m.task, m.metric, m.value FROM epoch_metrics m JOIN runs r ON r.id = m.run_id ORDER BY 1, 2, 3, 4, 5'),
    weights: q('SELECT r.key, w.epoch, w.step, w.task, w.weight FROM task_weights w JOIN runs r ON r.id = w.run_id ORDER BY 1, 2, 3, 4'),
    evals: q('SELECT r.key, e.condition, e.task, e.metric, e.value FROM evaluations e JOIN runs r ON r.id = e.run_id ORDER BY 1, 2, 3, 4'),
  };
  d.close();
  return out;
}

function completedRuns(db: string): number {
  const d = new Database(db, { readonly: true });
  const n = (d.prepare("SELECT count(*) AS n FROM runs WHERE status = 'completed'").get() as { n: number }).n;
  d.close();
  return n;
}

/**
 * Start the command in its own process group; once it has logged `epochLines` epoch lines, wait
 * `delayMs` more and kill -9 the group. Resolves with the log and whether the kill landed.
 */
function runAndKill(cmd: string[], epochLines: number, delayMs: number): Promise<{ log: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...cmd], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let armed = false;
    let killed = false;
    const onData = (b: Buffer): void => {
      log += b.toString();
      if (!armed && (log.match(/ epoch \d+\/\d+ /g) ?? []).length >= epochLines) {
        armed = true;
        setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
            killed = true;
          } catch {
            /* already finished */
          }
        }, delayMs);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (_code, signal) => resolve({ log, killed: killed && signal === 'SIGKILL' }));
  });
}

const ref = join(dir, 'ref.sqlite');
t.before(() => {
  const r = spawnSync(process.execPath, [BIN, ...args, '--db', ref], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`reference run failed: ${r.stderr}`);
});

for (const jobs of [1, 2]) {
  t.test(`kill -9 of the process group at random moments, --jobs ${jobs}: the resumed record equals an uninterrupted one bit for bit`, async (t) => {
    const db = join(dir, `kill-j${jobs}.sqlite`);
    const cmd = [...args, '--jobs', String(jobs), '--db', db];
    const rng = Rng.fromSeed(`resume-kill:${jobs}`);
    let laterRunKills = 0;
    for (let k = 0; k < 4; k++) {
      const done = k === 0 ? 0 : completedRuns(db);
      if (done >= RUNS - 1) break;
      // Kill somewhere after the second run of this process has committed an epoch, or earlier.
      const left = (RUNS - done) * EPOCHS;
      const target = k % 2 === 0 ? EPOCHS + 1 + rng.int(Math.max(left - EPOCHS - 2, 1)) : 1 + rng.int(left - 1);
      const { log, killed } = await runAndKill(cmd, target, rng.int(400));
      if (!killed) break;
      // This process had finished a run and was inside a later one when it died.
      if (/ completed /.test(log)) laterRunKills++;
    }
    t.ok(laterRunKills >= 1, `at least one kill landed during a later run of a process (${laterRunKills})`);
    const r = spawnSync(process.execPath, [BIN, ...cmd], { cwd: dir, encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    t.notMatch(r.stdout + r.stderr, /checkpoint (missing|checksum)|restarts from scratch/, 'every resume found its checkpoint');
    const got = numbers(db);
    const want = numbers(ref);
    t.strictSame(got.runs, want.runs, 'runs: status, epochs, selected epoch');
    t.strictSame(got.metrics, want.metrics, 'per-epoch metrics bit for bit');
    t.strictSame(got.weights, want.weights, 'task weights bit for bit');
    t.strictSame(got.evals, want.evals, 'final evaluations bit for bit');
  });
}
