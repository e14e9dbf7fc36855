/**
 * Runs a grid: registers the experiment, skips completed runs, resumes interrupted ones, and
 * spreads the rest over `jobs` worker processes, all writing to the one WAL database. Each process
 * runs the wasm backend on its share of the cores (`threads`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagePath } from '../paths.js';
import type { BackendChoice } from '../tf/backend.js';
import { expandGrid, shardRuns, type ExperimentConfig, type RunSpec } from './config.js';
import { openDb, type Db } from './db.js';
import { createProgress, type Progress } from './progress.js';
import { DATA_SEED, claimRun, executeRun, markAborted, reclaimStale, registerExperiment, retryErrored, type ProgressEvent } from './runner.js';
import { loadRecordedPlugins } from '../plugins/load.js';
import { getTask } from '../tasks/index.js';
import { loadBackend } from '../tf/backend.js';
import { defaultThreads, envThreads } from '../tf/wasm-threads.js';

export interface GridOptions {
  readonly dbFile: string;
  readonly jobs: number;
  readonly shard?: string;
  readonly backend: BackendChoice;
  /** Threads of the wasm backend per process (default: MTL_BENCH_THREADS, else defaultThreads of the processes started). */
  readonly threads?: number;
  readonly tty: boolean;
  readonly weightSampleEvery?: number;
  /** Test hook (see RunContext.crashAfterEpochs). */
  readonly crashAfterEpochs?: number;
  readonly log?: (line: string) => void;
}

export interface GridResult {
  readonly total: number;
  readonly skipped: number;
  readonly completed: number;
  readonly errored: number;
  readonly aborted: number;
  /** Stopped by Ctrl-C / SIGTERM. */
  readonly interrupted: boolean;
}

const BIN = packagePath('bin', 'mtl-bench.js');

export async function runGrid(cfg: ExperimentConfig, opts: GridOptions): Promise<GridResult> {
  const runs = shardRuns(expandGrid(cfg), opts.shard);
  const db = openDb(opts.dbFile);
  registerExperiment(db, cfg, runs);
  reclaimStale(db);
  retryErrored(db, runs.map((r) => r.key));
  const status = new Map((db.prepare('SELECT key, status FROM runs').all() as { key: string; status: string }[]).map((r) => [r.key, r.status]));
  const todo = runs.filter((r) => status.get(r.key) !== 'completed');
  const skipped = runs.length - todo.length;
  const log = opts.log ?? ((l: string) => console.log(l));
  const processes = Math.min(opts.jobs, Math.max(todo.length, 1));
  const threads = opts.threads ?? envThreads() ?? defaultThreads(processes);
  log(`${cfg.name}: ${runs.length} runs${opts.shard ? ` in shard ${opts.shard}` : ''}, ${skipped} already completed, ${todo.length} to run (${processes} job${opts.jobs > 1 ? 's' : ''}, ${threads} thread${threads > 1 ? 's' : ''} each) → ${opts.dbFile}`);
  const progress = createProgress(opts.tty, log);
  let finished = 0;
  progress.setTotals(skipped, runs.length);
  const counts = { completed: 0, errored: 0, aborted: 0 };
  const onEnd = (e: ProgressEvent): void => {
    if (e.kind !== 'run-end') return;
    counts[e.status]++;
    if (e.status === 'aborted') return;
    finished++;
    progress.setTotals(skipped + finished, runs.length);
  };
  // First Ctrl-C / SIGTERM: stop after the current step, mark runs aborted, stop the workers, clean
  // up. A second one: exit at once (runs still marked aborted, temporary files removed).
  const stop = new AbortController();
  const cleanups: (() => void)[] = [];
  let current: string | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!stop.signal.aborted) {
      stop.abort(`interrupted by ${sig}`);
      progress.log(`${sig}: stopping after the current step (again to exit now)`);
      return;
    }
    for (const c of cleanups) c();
    if (current) markAborted(db, current, `interrupted by ${sig}`);
    progress.stop();
    removeEmptyCheckpointDirs(opts.dbFile);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (opts.jobs <= 1 || todo.length <= 1) {
      for (const spec of todo) {
        if (stop.signal.aborted) break;
        if (!claimRun(db, spec.key)) continue;
        current = spec.key;
        await executeRun(spec, {
          db,
          dbFile: opts.dbFile,
          dataDir: cfg.dataDir,
          backend: opts.backend,
          threads,
          weightSampleEvery: opts.weightSampleEvery ?? 10,
          signal: stop.signal,
          onProgress: (e) => {
            onEnd(e);
            progress.update(0, e);
          },
          ...(opts.crashAfterEpochs !== undefined ? { crashAfterEpochs: opts.crashAfterEpochs } : {}),
        });
        current = null;
      }
    } else {
      // Generate (or check) the dataset once here, so that workers do not race to create it.
      const { tf } = await loadBackend(opts.backend);
      const prepared = await getTask(cfg.task).prepareData(tf, cfg.preset, { dataDir: cfg.dataDir, seed: DATA_SEED, ...(cfg.dataPath ? { dataPath: cfg.dataPath } : {}) });
      prepared.dispose?.();
      if (!stop.signal.aborted) {
        await runWorkers(cfg, todo, { ...opts, threads }, stop.signal, cleanups, db, progress, (w, e) => {
          onEnd(e);
          progress.update(w, e);
        });
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    progress.stop();
    db.close();
    removeEmptyCheckpointDirs(opts.dbFile);
  }
  if (stop.signal.aborted) process.exitCode = 130;
  return { total: runs.length, skipped, completed: counts.completed, errored: counts.errored, aborted: counts.aborted, interrupted: stop.signal.aborted };
}

/** Remove `<db>.checkpoints/<run>/` folders left empty, and the folder itself when empty. */
export function removeEmptyCheckpointDirs(dbFile: string): void {
  const top = `${dbFile}.checkpoints`;
  if (!existsSync(top)) return;
  for (const d of readdirSync(top)) {
    const p = join(top, d);
    try {
      if (statSync(p).isDirectory() && readdirSync(p).length === 0) rmdirSync(p);
    } catch {
      /* in use or gone */
    }
  }
  try {
    if (readdirSync(top).length === 0) rmdirSync(top);
  } catch {
    /* in use or gone */
  }
}

/**
 * Run the todo list on worker processes. A worker that dies (killed, crashed) has its run marked
 * errored (retried, from its checkpoint, on the next invocation) and is replaced while runs remain.
 */
async function runWorkers(
  cfg: ExperimentConfig,
  todo: readonly RunSpec[],
  opts: GridOptions,
  stop: AbortSignal,
  cleanups: (() => void)[],
  db: Db,
  progress: Progress,
  onEvent: (worker: number, e: ProgressEvent) => void,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-bench-'));
  const jobFile = join(dir, 'job.json');
  writeFileSync(jobFile, JSON.stringify({ config: cfg, keys: todo.map((r) => r.key), dbFile: opts.dbFile, backend: opts.backend, threads: opts.threads, weightSampleEvery: opts.weightSampleEvery ?? 10 }));
  const n = Math.min(opts.jobs, todo.length);
  const children = new Set<ChildProcess>();
  const keys = todo.map((r) => r.key);
  const placeholders = keys.map(() => '?').join(', ');
  const remaining = (): number => (db.prepare(`SELECT count(*) AS n FROM runs WHERE key IN (${placeholders}) AND status IN ('pending', 'aborted')`).get(...keys) as { n: number }).n;
  let restarts = 0;
  const onStop = (): void => {
    for (const c of children) if (c.connected) c.send({ stop: String(stop.reason) });
  };
  stop.addEventListener('abort', onStop);
  const cleanup = (): void => {
    for (const c of children) {
      c.kill('SIGKILL');
      db.prepare("UPDATE runs SET status = 'aborted', error = ?, worker_pid = NULL WHERE status = 'running' AND worker_pid = ?").run(String(stop.reason ?? 'interrupted'), c.pid ?? -1);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(cleanup);
  const worker = (w: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const child = fork(BIN, ['_worker', jobFile], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.add(child);
      child.on('message', (m) => onEvent(w, m as ProgressEvent));
      child.on('error', () => {
        /* reported by 'exit' */
      });
      child.on('exit', (code, signal) => {
        children.delete(child);
        if (code === 0 || (stop.aborted && code === 130)) return resolve();
        const why = `worker ${w} (pid ${child.pid}) exited with ${signal ?? `code ${code}`}`;
        const lost = db.prepare("SELECT label FROM runs WHERE status = 'running' AND worker_pid = ?").get(child.pid ?? -1) as { label: string } | undefined;
        db.prepare("UPDATE runs SET status = 'errored', error = ?, ended_at = ?, worker_pid = NULL WHERE status = 'running' AND worker_pid = ?").run(why, new Date().toISOString(), child.pid ?? -1);
        progress.log(`${why}${lost ? `; ${lost.label} is marked errored (retried on the next invocation)` : ''}`);
        if (lost) onEvent(w, { kind: 'run-end', label: lost.label, status: 'errored', error: why });
        if (!stop.aborted && restarts < todo.length && remaining() > 0) {
          restarts++;
          resolve(worker(w));
        } else resolve();
      });
    });
  try {
    await Promise.all(Array.from({ length: n }, (_, w) => worker(w + 1)));
  } finally {
    stop.removeEventListener('abort', onStop);
    cleanups.splice(cleanups.indexOf(cleanup), 1);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Entry of a worker process: claim runs of the job in order until none is left, or until told to stop. */
export async function workerMain(jobFile: string): Promise<void> {
  const job = JSON.parse(readFileSync(jobFile, 'utf8')) as { config: ExperimentConfig; keys: string[]; dbFile: string; backend: BackendChoice; threads?: number; weightSampleEvery: number };
  await loadRecordedPlugins(job.config.plugins);
  const runs = new Map(expandGrid(job.config).map((r) => [r.key, r]));
  const db = openDb(job.dbFile);
  const stop = new AbortController();
  let current: string | null = null;
  // The first signal (or the parent's stop message, or the parent's death) stops after the current
  // step; a second signal exits at once.
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!stop.signal.aborted) return stop.abort(`interrupted by ${sig}`);
    if (current) markAborted(db, current, `interrupted by ${sig}`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('message', (m) => {
    if (m && typeof m === 'object' && 'stop' in m) stop.abort(String((m as { stop: unknown }).stop));
  });
  let orphaned = false;
  process.on('disconnect', () => {
    orphaned = !stop.signal.aborted || orphaned;
    stop.abort('interrupted (the parent process ended)');
  });
  const send = (e: ProgressEvent): void => {
    // A parent that died closes the channel: ignore the send error ('disconnect' stops the run).
    if (process.connected) process.send?.(e, undefined, {}, () => {});
  };
  for (const key of job.keys) {
    if (stop.signal.aborted) break;
    const spec = runs.get(key);
    if (!spec || !claimRun(db, key)) continue;
    current = key;
    await executeRun(spec, { db, dbFile: job.dbFile, dataDir: job.config.dataDir, backend: job.backend, ...(job.threads !== undefined ? { threads: job.threads } : {}), weightSampleEvery: job.weightSampleEvery, signal: stop.signal, onProgress: send });
    current = null;
  }
  db.close();
  // A parent that died cannot remove the job folder; its workers do.
  if (orphaned) rmSync(dirname(jobFile), { recursive: true, force: true });
  process.exitCode = stop.signal.aborted ? 130 : 0;
  if (process.connected) process.disconnect?.();
}
