/**
 * Executes runs of the grid: claims a run in the database, trains it epoch by epoch with a
 * checkpoint after every epoch, evaluates, and records everything. A run killed at any moment
 * continues from its last checkpoint when the same command is run again, and produces the same
 * numbers as an uninterrupted run (model, optimiser, method and generator state are restored).
 *
 * Commit protocol per epoch: write checkpoint file e+1 (atomic rename) → one transaction with the
 * epoch's metrics, weights, timings and `checkpoint_epoch = e+1` → delete checkpoint e. A crash
 * between the steps leaves the database pointing at a checkpoint that exists; rows of an
 * unfinished epoch are never committed, so nothing is lost or duplicated.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { getMethod } from '../../optimizers/index.js';
import type { MtlMethod } from '../../optimizers/types.js';
import { MtlBenchError } from '../errors.js';
import { relativeImprovements } from '../metrics/deltam.js';
import { Rng } from '../rng.js';
import { getTask } from '../tasks/index.js';
import { noiseLabel, type MetricSpec, type PreparedData, type TaskDefinition } from '../tasks/task.js';
import { TRIVIAL_METHOD } from '../tasks/trivial.js';
import type { BackendChoice, LoadedBackend } from '../tf/backend.js';
import { loadBackend } from '../tf/backend.js';
import type { MultiTaskModel } from '../tf/model.js';
import { Optimizer, scaleSchedule } from '../tf/optim.js';
import { MtlStepper } from '../tf/plumbing.js';
import { Interrupted, Trainer } from '../train/trainer.js';
import { readCheckpoint, restoreVariables } from './checkpoint.js';
import type { ExperimentConfig, RunSpec } from './config.js';
import type { Db } from './db.js';
import { provenance } from './provenance.js';
import { bestFile, loadRunState, modelVariables, pruneCheckpoints, saveBest, saveRunState } from './run-state.js';
import { createSingleTask } from './single-task.js';

export interface RunContext {
  readonly db: Db;
  readonly dbFile: string;
  readonly dataDir: string;
  readonly backend: BackendChoice;
  /** Threads of the wasm backend (default: 1, or whatever this process already loaded). */
  readonly threads?: number;
  /** Steps whose weights are logged per epoch besides the epoch mean (every k-th step). */
  readonly weightSampleEvery: number;
  readonly onProgress?: (p: ProgressEvent) => void;
  /** Test hook: stop the process (as a crash would) after this many completed epochs. */
  readonly crashAfterEpochs?: number;
  /** Aborted on Ctrl-C / SIGTERM: training stops after the current step and the run is marked aborted. */
  readonly signal?: AbortSignal;
}

export type ProgressEvent =
  | { readonly kind: 'run-start'; readonly label: string; readonly seed: number; readonly epochs: number; readonly resumedAt: number }
  | { readonly kind: 'step'; readonly label: string; readonly epoch: number; readonly step: number; readonly losses: readonly number[] }
  | { readonly kind: 'epoch'; readonly label: string; readonly epoch: number; readonly epochs: number; readonly summary: { readonly meanLosses: number[]; readonly seconds: number; readonly steps: number } }
  | { readonly kind: 'run-end'; readonly label: string; readonly status: 'completed' | 'errored' | 'aborted'; readonly error?: string }
  | { readonly kind: 'notice'; readonly label: string; readonly message: string };

interface SelectionState {
  readonly reference: number[] | null;
  readonly bestScore: number | null;
  readonly bestEpoch: number | null;
}

/** Every run of an experiment trains on the same dataset: it is generated from this seed, whatever the run's seed. */
export const DATA_SEED = 0;

export function checkpointDir(dbFile: string, key: string): string {
  return join(`${dbFile}.checkpoints`, key);
}

/** Insert the experiment and its runs (idempotent); returns the experiment id. */
export function registerExperiment(db: Db, cfg: ExperimentConfig, runs: readonly RunSpec[]): number {
  const configJson = JSON.stringify(cfg);
  return db.transaction(() => {
    db.prepare('INSERT OR IGNORE INTO experiments (name, task, preset, config_json, created_at) VALUES (?, ?, ?, ?, ?)').run(cfg.name, cfg.task, cfg.preset, configJson, new Date().toISOString());
    const exp = db.prepare('SELECT id FROM experiments WHERE name = ? AND config_json = ?').get(cfg.name, configJson) as { id: number };
    const ins = db.prepare(`INSERT OR IGNORE INTO runs (key, experiment_id, label, task, preset, method, params_json, single_task, seed, mode, train_noise, selection, epochs, spec_json, status)
      VALUES (@key, @exp, @label, @task, @preset, @method, @params, @single, @seed, @mode, @noise, @selection, @epochs, @spec, 'pending')`);
    for (const r of runs) {
      ins.run({ key: r.key, exp: exp.id, label: r.label, task: r.task, preset: r.preset, method: r.method, params: JSON.stringify(r.params), single: r.singleTask, seed: r.seed, mode: r.mode, noise: noiseLabel(r.trainNoise), selection: r.selection, epochs: r.epochs, spec: JSON.stringify(r) });
    }
    return exp.id;
  })();
}

/** At the start of an invocation, errored runs of the grid get one more try (their checkpoints, if any, are kept). */
export function retryErrored(db: Db, keys: readonly string[]): number {
  const st = db.prepare("UPDATE runs SET status = 'pending' WHERE key = ? AND status = 'errored'");
  return db.transaction(() => keys.reduce((n, k) => n + st.run(k).changes, 0))();
}

/** Runs left `running` by a process that no longer exists on this host become `aborted`. */
export function reclaimStale(db: Db): number {
  const host = provenance().host;
  const rows = db.prepare("SELECT id, worker_pid FROM runs WHERE status = 'running' AND worker_host = ?").all(host) as { id: number; worker_pid: number | null }[];
  let n = 0;
  for (const r of rows) {
    if (r.worker_pid !== null && r.worker_pid !== process.pid && isAlive(r.worker_pid)) continue;
    db.prepare("UPDATE runs SET status = 'aborted', error = coalesce(error, 'interrupted (process ended while running)') WHERE id = ? AND status = 'running'").run(r.id);
    n++;
  }
  return n;
}

/**
 * Whether a process still runs. A killed process whose parent died too can linger as a zombie until
 * something reaps it (in containers, often nothing does); signal 0 still reaches it, so its state in
 * /proc decides (Linux).
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/** Atomically take a run that is pending or aborted; false if another worker has it, or it completed or errored in this invocation. */
export function claimRun(db: Db, key: string): boolean {
  const p = provenance();
  const res = db
    .prepare("UPDATE runs SET status = 'running', worker_pid = ?, worker_host = ?, error = NULL, started_at = coalesce(started_at, ?) WHERE key = ? AND status IN ('pending', 'aborted')")
    .run(process.pid, p.host, new Date().toISOString(), key);
  return res.changes === 1;
}

function methodFor(spec: RunSpec, task: TaskDefinition): MtlMethod {
  const n = task.taskNames.length;
  if (spec.singleTask !== null) return createSingleTask(n, spec.singleTask, task.taskNames[spec.singleTask] as string);
  return getMethod(spec.method).create(n, spec.params);
}

/**
 * Selection score of an epoch (higher is better), relative to the run's first epoch.
 *
 * 'validation' (default): minus the mean over the trained tasks of the validation loss as a
 * fraction of the first epoch's (losses are positive, so the score is finite and meaningful even
 * when a metric of the first epoch is degenerate, e.g. a PCC of −0.0001).
 * 'test-reference' (the reference code): the mean relative improvement of the test metrics over
 * the first epoch's; metrics whose first-epoch value is zero or non-finite are left out.
 * A non-finite score (a diverged epoch) is −∞, never selected over a finite one.
 */
export function selectionScore(kind: RunSpec['selection'], metrics: readonly MetricSpec[], reference: readonly number[], values: readonly number[], single: number | null, taskNames: readonly string[]): number {
  let score: number;
  if (kind === 'validation') {
    const ts = taskNames.map((_, t) => t).filter((t) => single === null || t === single);
    const ratios = ts.map((t) => (values[t] as number) / (reference[t] as number));
    score = -ratios.reduce((a, b) => a + b, 0) / ratios.length;
  } else {
    const keep = metrics.map((m, i) => ({ m, i })).filter(({ m, i }) => (single === null || m.task === taskNames[single]) && Number.isFinite(reference[i]) && reference[i] !== 0 && Number.isFinite(values[i]));
    if (keep.length === 0) return -Infinity;
    const r = relativeImprovements(keep.map((k) => k.m), keep.map((k) => reference[k.i] as number), keep.map((k) => values[k.i] as number));
    score = r.reduce((a, b) => a + b, 0) / r.length;
  }
  return Number.isFinite(score) ? score : -Infinity;
}

/** What the selection reads from an evaluation: the task losses ('validation') or the declared metrics ('test-reference'). */
function selectionVector(kind: RunSpec['selection'], metrics: readonly MetricSpec[], taskNames: readonly string[], rec: Record<string, number>): number[] {
  if (kind === 'validation') return taskNames.map((t) => rec[`${t}/loss`] ?? NaN);
  return metrics.map((m) => rec[`${m.task}/${m.name}`] ?? NaN);
}

/**
 * The random streams of a run: initialisation (the task's model seed), batch order and the method's
 * own draws depend on the seed, the task, the preset and its data, never on the evaluation
 * conditions or the row's place in the grid. Every method of a seed sees the same batches in the
 * same order (a paired comparison); the method's draws come from their own stream.
 */
function runStreams(spec: RunSpec, fingerprint: string): { batches: Rng; method: Rng } {
  const id = `${spec.task}:${spec.preset}:${fingerprint}:${spec.seed}`;
  return { batches: Rng.fromSeed(`batches:${id}`), method: Rng.fromSeed(`method:${id}:${spec.label}`) };
}

/** The run's data (generated or opened for its preset and evaluation protocol), recorded in its provenance. */
async function prepareRunData(task: TaskDefinition, tf: typeof TF, spec: RunSpec, ctx: RunContext, backend: LoadedBackend, runId: number): Promise<PreparedData> {
  const data = await task.prepareData(tf, spec.preset, { dataDir: ctx.dataDir, seed: DATA_SEED, ...(spec.dataPath ? { dataPath: spec.dataPath } : {}), ...(spec.evaluation ? { evaluation: spec.evaluation } : {}) });
  const p = provenance();
  ctx.db.prepare('UPDATE runs SET git_commit = ?, package_version = ?, node_version = ?, backend = ?, threads = ?, dataset_fingerprint = ?, dataset = ? WHERE id = ?').run(p.gitCommit, p.packageVersion, p.nodeVersion, backend.name, backend.threads, data.fingerprint, data.describe, runId);
  return data;
}

type TestResults = { cond: string; test: Record<string, number> }[];

/** The test metrics of a model under every evaluation condition of the run. */
async function testEvaluations(data: PreparedData, model: MultiTaskModel, spec: RunSpec): Promise<TestResults> {
  const results: TestResults = [];
  for (const cond of spec.evalNoise) results.push({ cond: noiseLabel(cond), test: await data.evaluate(model, 'test', cond, evalRng(spec, 'test', noiseLabel(cond))) });
  return results;
}

/** Store test results (call inside the run's final transaction); an undefined value is NULL. */
function insertEvaluations(db: Db, runId: number, results: TestResults): void {
  const ins = db.prepare('INSERT OR REPLACE INTO evaluations (run_id, condition, split, task, metric, value) VALUES (?, ?, ?, ?, ?, ?)');
  for (const r of results) for (const [k, v] of Object.entries(r.test)) {
    const [tname, metric] = k.split('/') as [string, string];
    ins.run(runId, r.cond, 'test', tname, metric, Number.isFinite(v) ? v : null);
  }
}

/** Record a trivial predictor: no training, the test metrics under every evaluation condition. */
async function executeTrivial(spec: RunSpec, ctx: RunContext, task: TaskDefinition, tf: typeof TF, backend: LoadedBackend, runId: number): Promise<void> {
  const data = await prepareRunData(task, tf, spec, ctx, backend, runId);
  try {
    if (!data.trivialModel) throw new MtlBenchError(`task ${task.id} has no trivial predictors`);
    const model = await data.trivialModel(String(spec.params.predictor));
    try {
      const results = await testEvaluations(data, model, spec);
      ctx.db.transaction(() => {
        insertEvaluations(ctx.db, runId, results);
        ctx.db.prepare("UPDATE runs SET status = 'completed', ended_at = ?, epochs_done = 0, worker_pid = NULL WHERE id = ?").run(new Date().toISOString(), runId);
      })();
    } finally {
      model.dispose();
    }
  } finally {
    data.dispose?.();
  }
}

/** Evaluation noise draws: the same for every run of a seed (common random numbers). */
function evalRng(spec: RunSpec, split: string, cond: string, epoch = -1): Rng {
  return Rng.fromSeed(`eval:${spec.task}:${spec.preset}:${spec.seed}:${split}:${epoch}:${cond}`);
}

/** Train, evaluate and record one claimed run. Throws only for programming errors; run failures are recorded as `errored`. */
export async function executeRun(spec: RunSpec, ctx: RunContext): Promise<'completed' | 'errored' | 'aborted'> {
  const { db } = ctx;
  const row = db.prepare('SELECT id, checkpoint_epoch FROM runs WHERE key = ?').get(spec.key) as { id: number; checkpoint_epoch: number | null };
  const task = getTask(spec.task);
  const backend = await loadBackend(ctx.backend, ctx.threads === undefined ? {} : { threads: ctx.threads });
  const { tf } = backend;
  if (spec.method === TRIVIAL_METHOD) {
    try {
      await executeTrivial(spec, ctx, task, tf, backend, row.id);
      ctx.onProgress?.({ kind: 'run-end', label: spec.label, status: 'completed' });
      return 'completed';
    } catch (e) {
      const msg = e instanceof MtlBenchError ? `${e.name}: ${e.message}` : ((e as Error).stack ?? String(e));
      db.prepare("UPDATE runs SET status = 'errored', error = ?, ended_at = ?, worker_pid = NULL WHERE id = ?").run(msg, new Date().toISOString(), row.id);
      ctx.onProgress?.({ kind: 'run-end', label: spec.label, status: 'errored', error: msg });
      return 'errored';
    }
  }
  const dir = checkpointDir(ctx.dbFile, spec.key);
  mkdirSync(dir, { recursive: true });
  let data: PreparedData | null = null;
  let model: MultiTaskModel | null = null;
  let optimizer: Optimizer | null = null;
  let stepper: MtlStepper | null = null;
  try {
    data = await prepareRunData(task, tf, spec, ctx, backend, row.id);
    model = task.createModel(tf, spec.preset, spec.seed);
    const method = methodFor(spec, task);
    const defaults = task.training(spec.preset);
    const optCfg = { ...defaults.optimizer, ...(spec.training.lr !== undefined ? { lr: spec.training.lr } : {}), ...(spec.training.weightDecay !== undefined ? { weightDecay: spec.training.weightDecay } : {}) };
    optimizer = new Optimizer(tf, optCfg);
    const maxNorm = typeof spec.params.maxNorm === 'number' && spec.method === 'nash-mtl' ? spec.params.maxNorm : 0;
    stepper = new MtlStepper(tf, model, method, task.lossFn(tf), optimizer, { mode: spec.mode, maxGradNorm: maxNorm });
    const streams = runStreams(spec, data.fingerprint);
    let rng = streams.method;
    let batchRng = streams.batches;
    let selection: SelectionState = { reference: null, bestScore: null, bestEpoch: null };
    const parts = { tf, model, method, optimizer, stepper };
    const notice = (message: string): void => ctx.onProgress?.({ kind: 'notice', label: spec.label, message });
    let startEpoch = 0;
    let best: number | null = null;
    const lossHistory: Float64Array[] = [];
    const restored = row.checkpoint_epoch !== null ? loadRunState(dir, spec.key, row.checkpoint_epoch, parts, notice) : null;
    if (restored) {
      rng = Rng.fromState(restored.rng);
      batchRng = Rng.fromState(restored.batchRng);
      lossHistory.push(...restored.lossHistory.map((r) => Float64Array.from(r)));
      selection = restored.selection as SelectionState;
      best = restored.best;
      startEpoch = restored.epoch;
    }
    db.transaction(() => {
      for (const t of ['epoch_metrics', 'task_weights', 'timings']) db.prepare(`DELETE FROM ${t} WHERE run_id = ? AND epoch >= ?`).run(row.id, startEpoch);
      db.prepare('UPDATE runs SET epochs_done = ?, checkpoint_epoch = ? WHERE id = ?').run(startEpoch, startEpoch > 0 ? startEpoch : null, row.id);
    })();
    let prevBest = best;
    ctx.onProgress?.({ kind: 'run-start', label: spec.label, seed: spec.seed, epochs: spec.epochs, resumedAt: startEpoch });
    const sampled: { epoch: number; step: number; weights: Float64Array }[] = [];
    const schedule = scaleSchedule(defaults.schedule, defaults.epochs, spec.epochs);
    const trainer = new Trainer(
      stepper,
      data.trainBatches(spec.batchSize, spec.trainNoise),
      rng,
      optCfg.lr,
      schedule,
      {
        onStep: (epoch, step, report) => {
          if (report.weights && step % ctx.weightSampleEvery === 0) sampled.push({ epoch, step, weights: report.weights });
          ctx.onProgress?.({ kind: 'step', label: spec.label, epoch, step, losses: Array.from(report.losses) });
        },
      },
      batchRng,
    );
    trainer.lossHistory.push(...lossHistory);
    trainer.epoch = startEpoch;
    const metrics = task.metrics;
    const names = task.taskNames;
    const insMetric = db.prepare('INSERT OR REPLACE INTO epoch_metrics (run_id, epoch, split, task, metric, value) VALUES (?, ?, ?, ?, ?, ?)');
    const insWeight = db.prepare('INSERT OR REPLACE INTO task_weights (run_id, epoch, step, task, weight) VALUES (?, ?, ?, ?, ?)');
    const insTiming = db.prepare('INSERT OR REPLACE INTO timings (run_id, epoch, steps, epoch_seconds, step_ms_median, forward_ms, backward_ms, aggregate_ms, apply_ms, peak_rss_mb, learning_rate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (let epoch = startEpoch; epoch < spec.epochs; epoch++) {
      sampled.length = 0;
      const summary = await trainer.runEpoch(ctx.signal);
      const clean = { kind: 'clean' } as const;
      const val = await data.evaluate(model, 'val', clean, evalRng(spec, 'val', 'clean', epoch));
      const test = await data.evaluate(model, 'test', clean, evalRng(spec, 'test', 'clean', epoch));
      const selVals = selectionVector(spec.selection, metrics, names, spec.selection === 'validation' ? val : test);
      const reference = selection.reference ?? selVals;
      const score = selectionScore(spec.selection, metrics, reference, selVals, spec.singleTask, names);
      const improved = selection.bestScore === null || score > selection.bestScore;
      selection = { reference, bestScore: improved ? score : selection.bestScore, bestEpoch: improved ? epoch : selection.bestEpoch };
      if (improved) {
        saveBest(dir, spec.key, epoch, model);
        best = epoch;
      }
      saveRunState(dir, parts, { key: spec.key, epoch: epoch + 1, rng: rng.state(), batchRng: batchRng.state(), lossHistory: trainer.lossHistory.map((r) => Array.from(r)), selection, best });
      const rss = process.resourceUsage().maxRSS / 1024;
      db.transaction(() => {
        names.forEach((tname, t) => insMetric.run(row.id, epoch, 'train', tname, 'loss', summary.meanLosses[t]));
        for (const [split, rec] of [['val', val], ['test', test]] as const) {
          for (const [k, v] of Object.entries(rec)) {
            const [tname, metric] = k.split('/') as [string, string];
            insMetric.run(row.id, epoch, split, tname, metric, Number.isFinite(v) ? v : null);
          }
        }
        if (summary.meanWeights) names.forEach((tname, t) => insWeight.run(row.id, epoch, -1, tname, summary.meanWeights![t]));
        for (const s of sampled) names.forEach((tname, t) => insWeight.run(row.id, s.epoch, s.step, tname, s.weights[t]));
        insTiming.run(row.id, epoch, summary.steps, summary.seconds, summary.stepMs.median, summary.stepMs.forward, summary.stepMs.backward, summary.stepMs.aggregate, summary.stepMs.apply, rss, summary.learningRate);
        db.prepare('UPDATE runs SET epochs_done = ?, checkpoint_epoch = ?, best_epoch = ? WHERE id = ?').run(epoch + 1, epoch + 1, selection.bestEpoch, row.id);
      })();
      pruneCheckpoints(dir, epoch + 1, [prevBest, best]);
      prevBest = best;
      ctx.onProgress?.({ kind: 'epoch', label: spec.label, epoch, epochs: spec.epochs, summary: { meanLosses: Array.from(summary.meanLosses), seconds: summary.seconds, steps: summary.steps } });
      // Training never waits on I/O, so a SIGTERM/SIGINT handler (scancel, preemption, Ctrl-C) runs only here, between committed epochs.
      await new Promise((resolve) => setImmediate(resolve));
      if (ctx.crashAfterEpochs !== undefined && epoch + 1 - startEpoch >= ctx.crashAfterEpochs && epoch + 1 < spec.epochs) process.kill(process.pid, 'SIGKILL');
    }
    // Final evaluation of the selected epoch's weights under every evaluation condition.
    if (best === null) throw new MtlBenchError(`${spec.label}: no epoch was selected`);
    const bestCk = readCheckpoint<{ key: string; epoch: number }>(bestFile(dir, best), spec.key);
    restoreVariables(tf, modelVariables(model), bestCk.tensors, 'model', bestFile(dir, best));
    const results = await testEvaluations(data, model, spec);
    const examples = data.examples ? spec.evalNoise.map((cond) => ({ cond: noiseLabel(cond), ex: data!.examples!(model!, cond, evalRng(spec, 'examples', noiseLabel(cond))) })) : [];
    db.transaction(() => {
      const insEx = db.prepare('INSERT OR REPLACE INTO examples (run_id, condition, name, series_json) VALUES (?, ?, ?, ?)');
      for (const e of examples) for (const [name, series] of Object.entries(e.ex)) insEx.run(row.id, e.cond, name, JSON.stringify(series));
      insertEvaluations(db, row.id, results);
      db.prepare("UPDATE runs SET status = 'completed', ended_at = ?, best_epoch = ?, worker_pid = NULL WHERE id = ?").run(new Date().toISOString(), bestCk.header.epoch, row.id);
    })();
    rmSync(dir, { recursive: true, force: true });
    ctx.onProgress?.({ kind: 'run-end', label: spec.label, status: 'completed' });
    return 'completed';
  } catch (e) {
    removeIfEmpty(dir);
    if (e instanceof Interrupted) {
      markAborted(db, spec.key, e.message);
      ctx.onProgress?.({ kind: 'run-end', label: spec.label, status: 'aborted', error: e.message });
      return 'aborted';
    }
    const msg = e instanceof MtlBenchError ? `${e.name}: ${e.message}` : ((e as Error).stack ?? String(e));
    db.prepare("UPDATE runs SET status = 'errored', error = ?, ended_at = ?, worker_pid = NULL WHERE id = ?").run(msg, new Date().toISOString(), row.id);
    ctx.onProgress?.({ kind: 'run-end', label: spec.label, status: 'errored', error: msg });
    return 'errored';
  } finally {
    stepper?.dispose();
    optimizer?.dispose();
    model?.dispose();
    data?.dispose?.();
  }
}

/** A run stopped before its first checkpoint leaves no empty folder behind. */
function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    /* gone already, or in use */
  }
}

/** Mark a run interrupted by a signal as aborted (its checkpoint stays for resume). */
export function markAborted(db: Db, key: string, reason: string): void {
  db.prepare("UPDATE runs SET status = 'aborted', error = ?, worker_pid = NULL WHERE key = ? AND status = 'running'").run(reason, key);
}
