/**
 * Against a real single-node Slurm (started by setup-slurm.sh; skipped with the reason when it
 * cannot start): the scripts of `mtl-bench slurm` run a small experiment as a job array of three
 * shards plus the dependent merge job, and the merged record equals a single-process run of the
 * same experiment. Then shard 2 is redone: submitted alone, cancelled (scancel) mid-run,
 * resubmitted with submit.sh, it resumes from its checkpoint, and the merged record is again identical.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const SETUP = fileURLToPath(new URL('./setup-slurm.sh', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtl-slurm-'));
const state = join(dir, 'slurm');
const EPOCHS = 20;
const experiment = ['--preset', 'regression-ci', '--optimizers', 'EW,PCGrad,EGA', '--seeds', '0', '--epochs', String(EPOCHS)];
const DONE = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

const stop = (): void => void spawnSync('bash', [SETUP, 'stop', state], { stdio: 'ignore' });

/** Everything a run records about its numbers, keyed by run key (ids and times excluded). */
function numbers(db: string) {
  const d = new Database(db, { readonly: true });
  const q = (sql: string) => d.prepare(sql).all();
  const out = {
    runs: q('SELECT key, label, status, epochs_done, best_epoch FROM runs ORDER BY key'),
    epochMetrics: q('SELECT r.key, m.epoch, m.split, m.task, m.metric, m.value FROM epoch_metrics m JOIN runs r ON r.id = m.run_id ORDER BY 1, 2, 3, 4, 5'),
    weights: q('SELECT r.key, w.epoch, w.step, w.task, w.weight FROM task_weights w JOIN runs r ON r.id = w.run_id ORDER BY 1, 2, 3, 4'),
    evaluations: q('SELECT r.key, e.condition, e.split, e.task, e.metric, e.value FROM evaluations e JOIN runs r ON r.id = e.run_id ORDER BY 1, 2, 3, 4, 5'),
  };
  d.close();
  return out;
}

/** The states of a job (one per array task), from the controller; [] once it has forgotten the job. */
function jobStates(id: string): string[] {
  const r = spawnSync('scontrol', ['show', 'job', '-o', id], { encoding: 'utf8' });
  return [...(r.stdout ?? '').matchAll(/JobState=(\S+)/g)].map((m) => m[1] as string);
}

async function waitEnded(id: string, what: string, seconds = 240): Promise<string[]> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const s = jobStates(id);
    if (s.length && s.every((x) => DONE.has(x))) return s;
    if (Date.now() > deadline) {
      const q = spawnSync('squeue', ['-a'], { encoding: 'utf8' }).stdout;
      throw new Error(`${what} (job ${id}) still ${s.join(',') || 'unknown'} after ${seconds} s\n${q}`);
    }
    await sleep(500);
  }
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });
}

const submitted = (out: string): { shards: string; merge: string } => {
  const m = /submitted the shards as job (\d+) and the merge as job (\d+)/.exec(out);
  if (!m) throw new Error(`no job ids in: ${out}`);
  return { shards: m[1]!, merge: m[2]! };
};

const setup = spawnSync('bash', [SETUP, 'start', state, '2'], { encoding: 'utf8' });
const reason = setup.status === 0 ? undefined : `Slurm could not be started here: ${(setup.stderr || `setup exited with ${setup.status}`).trim().split('\n').pop()}`;
if (reason) {
  stop();
  console.log(`# SKIP ${reason}`);
} else {
  // Three waits on real jobs: generous on a loaded machine (about 1.5 minutes on an idle 2-core one).
  t.setTimeout(540_000);
  process.env.SLURM_CONF = join(state, 'slurm.conf');
  process.on('exit', stop);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      stop();
      process.exit(1);
    });
  }
  t.teardown(stop);
}

t.test('a Slurm job array of shards and its merge job give the record of a single-process run, also after a cancelled and resubmitted task', { skip: reason ?? false }, async (t) => {
  // The single-process reference runs beside the first submission.
  const ref = join(dir, 'ref.sqlite');
  const refDone = new Promise<number | null>((resolve) => {
    spawn(process.execPath, [BIN, 'run', ...experiment, '--data-dir', join(dir, 'ref-data'), '--db', ref], { cwd: dir, stdio: 'ignore' }).on('exit', resolve);
  });

  const a = join(dir, 'a');
  const gen = cli(['slurm', ...experiment, '--shards', '3', '--dir', a, '--mem', '1G', '--time', '20:00', '--submit']);
  t.equal(gen.status, 0, gen.stderr);
  t.match(gen.stdout, /7 runs in 3 shards/);
  const first = submitted(gen.stdout);
  t.same(await waitEnded(first.shards, 'the shard array'), ['COMPLETED', 'COMPLETED', 'COMPLETED'], 'every array task completed');
  t.same(await waitEnded(first.merge, 'the merge job'), ['COMPLETED'], 'the merge job ran after the shards and completed');
  t.equal(await refDone, 0, 'the reference run succeeded');
  for (let k = 1; k <= 3; k++) t.ok(existsSync(join(a, `shard-${k}.sqlite`)), `shard ${k} wrote its record`);
  t.ok(existsSync(join(a, 'report.html')), 'the merge job rendered the report');
  const expected = numbers(ref);
  t.equal(expected.runs.length, 7);
  t.same(numbers(join(a, 'all.sqlite')), expected, 'merged record = single-process record (runs, epoch metrics, task weights, evaluations)');

  // Redo shard 2 from scratch (its record, checkpoints and the merged record removed), cancel it
  // while one of its runs is between checkpoints, resubmit it: the new merge rebuilds the record.
  const b = a;
  for (const f of readdirSync(a)) if (/^(shard-2|all)\.sqlite/.test(f)) rmSync(join(a, f), { recursive: true });
  const re1 = spawnSync('bash', [join(a, 'submit.sh'), '2'], { encoding: 'utf8' });
  t.equal(re1.status, 0, re1.stderr);
  const second = submitted(re1.stdout);
  t.same(jobStates(first.merge), ['COMPLETED'], 'submit.sh leaves a finished merge job alone');
  const shard2 = join(b, 'shard-2.sqlite');
  const deadline = Date.now() + 240_000;
  let cancelledAt: { key: string; checkpoint_epoch: number } | undefined;
  while (!cancelledAt) {
    if (Date.now() > deadline) throw new Error('shard 2 never reached a checkpoint mid-run');
    if (existsSync(shard2)) {
      let row: { key: string; checkpoint_epoch: number } | undefined;
      const d = new Database(shard2, { readonly: true, timeout: 5000 });
      try {
        row = d.prepare("SELECT key, checkpoint_epoch FROM runs WHERE status = 'running' AND checkpoint_epoch BETWEEN 1 AND ?").get(EPOCHS - 3) as typeof row;
      } catch {
        // The task is still creating the record.
      } finally {
        d.close();
      }
      if (row) {
        t.equal(spawnSync('scancel', [second.shards]).status, 0, 'scancel of the resubmitted shard 2');
        cancelledAt = row;
      }
    }
    if (!cancelledAt) await sleep(100);
  }
  const states = await waitEnded(second.shards, 'the second shard array');
  t.same(states, ['CANCELLED'], 'the task was cancelled');
  const mid = new Database(shard2, { readonly: true });
  const left = mid.prepare("SELECT key, status, checkpoint_epoch, error FROM runs WHERE status != 'completed'").all() as { key: string; status: string; checkpoint_epoch: number | null; error: string | null }[];
  mid.close();
  const cut = left.find((r) => r.key === cancelledAt!.key);
  t.ok(cut && (cut.checkpoint_epoch ?? 0) >= 1, `the cancelled shard left run ${cancelledAt.key} unfinished with a checkpoint (${JSON.stringify(left)})`);
  t.same(cut && { status: cut.status, error: cut.error }, { status: 'aborted', error: 'interrupted by SIGTERM' }, 'the task handled the SIGTERM of scancel and recorded the run as aborted');
  t.ok(jobStates(second.merge).every((s) => s === 'PENDING'), 'the merge job of the cancelled submission did not run');

  const re = spawnSync('bash', [join(b, 'submit.sh'), '2'], { encoding: 'utf8' });
  t.equal(re.status, 0, re.stderr);
  const third = submitted(re.stdout);
  t.same(await waitEnded(third.shards, 'the resubmitted shard'), ['COMPLETED'], 'the resubmitted task completed');
  t.same(await waitEnded(third.merge, 'the second merge job'), ['COMPLETED'], 'the new merge job completed');
  t.same(jobStates(second.merge), ['CANCELLED'], 'submit.sh replaced the merge job that could no longer start');
  t.match(readFileSync(join(b, 'logs', 'shard-2.log'), 'utf8'), /resuming at epoch [1-9]/, 'the resubmitted task resumed from its checkpoint');
  t.same(numbers(join(b, 'all.sqlite')), expected, 'merged record after cancel + resubmit = single-process record');

  // Bad shard numbers for submit.sh are refused before anything is submitted.
  const bad = spawnSync('bash', [join(b, 'submit.sh'), '4'], { encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /shard 4: expected a number from 1 to 3/);
});
