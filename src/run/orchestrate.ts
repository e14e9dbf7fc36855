/**
 * Runs a grid: registers the experiment, skips completed runs, resumes interrupted ones, and
 * spreads the rest over `jobs` worker processes (the wasm backend is single-threaded, so two
 * processes use two cores), all writing to the one WAL database.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../paths.js';
import type { BackendChoice } from '../tf/backend.js';
import { expandGrid, shardRuns, type ExperimentConfig, type RunSpec } from './config.js';
import { openDb } from './db.js';
import { createProgress } from './progress.js';
import { DATA_SEED, claimRun, executeRun, markAborted, reclaimStale, registerExperiment, retryErrored, type ProgressEvent } from './runner.js';
import { loadRecordedPlugins } from '../plugins/load.js';
import { getTask } from '../tasks/index.js';
import { loadBackend } from '../tf/backend.js';

export interface GridOptions {
  readonly dbFile: string;
  readonly jobs: number;
  readonly shard?: string;
  readonly backend: BackendChoice;
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
  log(`${cfg.name}: ${runs.length} runs${opts.shard ? ` in shard ${opts.shard}` : ''}, ${skipped} already completed, ${todo.length} to run (${Math.min(opts.jobs, Math.max(todo.length, 1))} job${opts.jobs > 1 ? 's' : ''}) → ${opts.dbFile}`);
  const progress = createProgress(opts.tty, log);
  let finished = 0;
  progress.setTotals(skipped, runs.length);
  const counts = { completed: 0, errored: 0 };
  const onEnd = (e: ProgressEvent): void => {
    if (e.kind !== 'run-end') return;
    finished++;
    counts[e.status]++;
    progress.setTotals(skipped + finished, runs.length);
  };
  try {
    if (opts.jobs <= 1 || todo.length <= 1) {
      let current: string | null = null;
      const onSignal = (sig: NodeJS.Signals): void => {
        if (current) markAborted(db, current, `interrupted by ${sig}`);
        progress.stop();
        process.exit(130);
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        for (const spec of todo) {
          if (!claimRun(db, spec.key)) continue;
          current = spec.key;
          await executeRun(spec, {
            db,
            dbFile: opts.dbFile,
            dataDir: cfg.dataDir,
            backend: opts.backend,
            weightSampleEvery: opts.weightSampleEvery ?? 10,
            onProgress: (e) => {
              onEnd(e);
              progress.update(0, e);
            },
            ...(opts.crashAfterEpochs !== undefined ? { crashAfterEpochs: opts.crashAfterEpochs } : {}),
          });
          current = null;
        }
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    } else {
      // Generate (or check) the dataset once here, so that workers do not race to create it.
      const { tf } = await loadBackend(opts.backend);
      const prepared = await getTask(cfg.task).prepareData(tf, cfg.preset, { dataDir: cfg.dataDir, seed: DATA_SEED, ...(cfg.dataPath ? { dataPath: cfg.dataPath } : {}) });
      prepared.dispose?.();
      await runWorkers(cfg, todo, opts, (w, e) => {
        onEnd(e);
        progress.update(w, e);
      });
    }
  } finally {
    progress.stop();
    db.close();
  }
  return { total: runs.length, skipped, ...counts };
}

async function runWorkers(cfg: ExperimentConfig, todo: readonly RunSpec[], opts: GridOptions, onEvent: (worker: number, e: ProgressEvent) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-bench-'));
  const jobFile = join(dir, 'job.json');
  writeFileSync(jobFile, JSON.stringify({ config: cfg, keys: todo.map((r) => r.key), dbFile: opts.dbFile, backend: opts.backend, weightSampleEvery: opts.weightSampleEvery ?? 10 }));
  const n = Math.min(opts.jobs, todo.length);
  try {
    await Promise.all(
      Array.from({ length: n }, (_, w) =>
        new Promise<void>((resolve, reject) => {
          const child = fork(BIN, ['_worker', jobFile], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          child.on('message', (m) => onEvent(w + 1, m as ProgressEvent));
          child.on('error', reject);
          child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`worker ${w + 1} exited with ${signal ?? code}`))));
        }),
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Entry of a worker process: claim runs of the job in order until none is left. */
export async function workerMain(jobFile: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const job = JSON.parse(readFileSync(jobFile, 'utf8')) as { config: ExperimentConfig; keys: string[]; dbFile: string; backend: BackendChoice; weightSampleEvery: number };
  await loadRecordedPlugins(job.config.plugins);
  const runs = new Map(expandGrid(job.config).map((r) => [r.key, r]));
  const db = openDb(job.dbFile);
  let current: string | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (current) markAborted(db, current, `interrupted by ${sig}`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  for (const key of job.keys) {
    const spec = runs.get(key);
    if (!spec || !claimRun(db, key)) continue;
    current = key;
    await executeRun(spec, { db, dbFile: job.dbFile, dataDir: job.config.dataDir, backend: job.backend, weightSampleEvery: job.weightSampleEvery, onProgress: (e) => process.send?.(e) });
    current = null;
  }
  db.close();
}
