/**
 * Read access to an mtl-bench SQLite record for reports. The file is opened read-only, so a report
 * can be made while a sweep is still writing to it (WAL readers see the last committed state and
 * never block the writer). No migration is run; a record older than the current schema is read
 * as far as its tables go (no `examples` table before v2). Where SQLite cannot open the file
 * read-only in place (a read-only directory with no `-shm` file), the record is copied to a
 * temporary directory and read from there.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { checkOpened, probeRecord, quickCheck, sqliteError, type Db } from '../src/run/db.js';

export type RunStatus = 'pending' | 'running' | 'completed' | 'errored' | 'aborted';

/** One row of `runs`, with the JSON columns parsed. */
export interface RunRecord {
  readonly id: number;
  readonly key: string;
  readonly experiment: string | null;
  readonly label: string;
  readonly task: string;
  readonly preset: string;
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly singleTask: number | null;
  readonly seed: number;
  readonly mode: string;
  readonly trainNoise: string;
  readonly selection: string;
  readonly epochs: number;
  readonly epochsDone: number;
  readonly bestEpoch: number | null;
  readonly status: RunStatus;
  readonly error: string | null;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly gitCommit: string | null;
  readonly packageVersion: string | null;
  readonly nodeVersion: string | null;
  readonly backend: string | null;
  readonly datasetFingerprint: string | null;
  readonly dataset: string | null;
}

export interface EvaluationRecord {
  readonly runId: number;
  readonly condition: string;
  readonly task: string;
  readonly metric: string;
  readonly value: number | null;
}

export interface EpochMetricRecord {
  readonly runId: number;
  readonly epoch: number;
  readonly split: string;
  readonly task: string;
  readonly metric: string;
  readonly value: number | null;
}

export interface TaskWeightRecord {
  readonly runId: number;
  readonly epoch: number;
  readonly step: number;
  readonly task: string;
  readonly weight: number | null;
}

/** One stored example plot (series_json parsed). */
export interface ExampleRecord {
  readonly runId: number;
  readonly condition: string;
  readonly name: string;
  readonly sampleRate?: number;
  readonly unit?: string;
  readonly series: Readonly<Record<string, readonly number[]>>;
  readonly markers?: Readonly<Record<string, readonly number[]>>;
}

/** Everything a report reads, loaded once. */
export interface RecordSnapshot {
  readonly file: string;
  readonly schemaVersion: number;
  readonly runs: readonly RunRecord[];
  readonly evaluations: readonly EvaluationRecord[];
}

/** Open a record read-only (see the module comment); throws DataError naming the file. */
export function openRecordReadOnly(file: string): { db: Db; close(): void } {
  probeRecord(file, { mustExist: true });
  const open = (f: string): Db => {
    const db = new Database(f, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 30000');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  };
  let db: Db;
  try {
    db = open(file);
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (!/READONLY|CANTOPEN/.test(code)) throw sqliteError(file, e);
    // A read-only directory without -shm: read a private copy (the WAL file too, if any).
    const dir = mkdtempSync(join(tmpdir(), 'mtl-bench-report-'));
    const copy = join(dir, basename(file));
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    try {
      db = open(copy);
    } catch (e2) {
      rmSync(dir, { recursive: true, force: true });
      throw sqliteError(file, e2);
    }
    const inner = db;
    try {
      checkSchema(inner, file);
    } catch (e3) {
      inner.close();
      rmSync(dir, { recursive: true, force: true });
      throw e3;
    }
    return {
      db: inner,
      close: () => {
        inner.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  try {
    checkSchema(db, file);
  } catch (e) {
    db.close();
    throw e;
  }
  return { db, close: () => db.close() };
}

function checkSchema(db: Db, file: string): void {
  checkOpened(db, file);
  quickCheck(db, file);
}

export function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function parseJson(text: string | null, fallback: Record<string, unknown>): Record<string, unknown> {
  if (!text) return fallback;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fallback;
  } catch {
    return fallback;
  }
}

interface RawRun {
  id: number;
  key: string;
  experiment: string | null;
  label: string;
  task: string;
  preset: string;
  method: string;
  params_json: string;
  single_task: number | null;
  seed: number;
  mode: string;
  train_noise: string;
  selection: string;
  epochs: number;
  epochs_done: number;
  best_epoch: number | null;
  status: RunStatus;
  error: string | null;
  started_at: string | null;
  ended_at: string | null;
  git_commit: string | null;
  package_version: string | null;
  node_version: string | null;
  backend: string | null;
  dataset_fingerprint: string | null;
  dataset: string | null;
}

export function readRuns(db: Db): RunRecord[] {
  const rows = db
    .prepare(
      `SELECT r.id, r.key, e.name AS experiment, r.label, r.task, r.preset, r.method, r.params_json, r.single_task, r.seed, r.mode,
              r.train_noise, r.selection, r.epochs, r.epochs_done, r.best_epoch, r.status, r.error, r.started_at, r.ended_at,
              r.git_commit, r.package_version, r.node_version, r.backend, r.dataset_fingerprint, r.dataset
       FROM runs r LEFT JOIN experiments e ON e.id = r.experiment_id ORDER BY r.id`,
    )
    .all() as RawRun[];
  return rows.map((r) => ({
    id: r.id,
    key: r.key,
    experiment: r.experiment,
    label: r.label,
    task: r.task,
    preset: r.preset,
    method: r.method,
    params: parseJson(r.params_json, {}),
    singleTask: r.single_task,
    seed: r.seed,
    mode: r.mode,
    trainNoise: r.train_noise,
    selection: r.selection,
    epochs: r.epochs,
    epochsDone: r.epochs_done,
    bestEpoch: r.best_epoch,
    status: r.status,
    error: r.error,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    gitCommit: r.git_commit,
    packageVersion: r.package_version,
    nodeVersion: r.node_version,
    backend: r.backend,
    datasetFingerprint: r.dataset_fingerprint,
    dataset: r.dataset,
  }));
}

/** Final test metrics of completed runs (the selected epoch), every condition. */
export function readEvaluations(db: Db): EvaluationRecord[] {
  return db
    .prepare(
      `SELECT e.run_id AS runId, e.condition, e.task, e.metric, e.value FROM evaluations e JOIN runs r ON r.id = e.run_id
       WHERE r.status = 'completed' AND e.split = 'test' ORDER BY e.run_id`,
    )
    .all() as EvaluationRecord[];
}

export function readEpochMetrics(db: Db, runIds: readonly number[]): EpochMetricRecord[] {
  if (runIds.length === 0) return [];
  const out: EpochMetricRecord[] = [];
  const stmt = db.prepare('SELECT run_id AS runId, epoch, split, task, metric, value FROM epoch_metrics WHERE run_id = ? ORDER BY epoch');
  for (const id of runIds) out.push(...(stmt.all(id) as EpochMetricRecord[]));
  return out;
}

/** Epoch-mean task weights (step −1) of the given runs. */
export function readEpochWeights(db: Db, runIds: readonly number[]): TaskWeightRecord[] {
  if (runIds.length === 0) return [];
  const out: TaskWeightRecord[] = [];
  const stmt = db.prepare('SELECT run_id AS runId, epoch, step, task, weight FROM task_weights WHERE run_id = ? AND step = -1 ORDER BY epoch');
  for (const id of runIds) out.push(...(stmt.all(id) as TaskWeightRecord[]));
  return out;
}

export function readExamples(db: Db, runIds: readonly number[]): ExampleRecord[] {
  if (runIds.length === 0 || !hasTable(db, 'examples')) return [];
  const stmt = db.prepare('SELECT run_id AS runId, condition, name, series_json FROM examples WHERE run_id = ? ORDER BY condition, name');
  const out: ExampleRecord[] = [];
  for (const id of runIds) {
    for (const r of stmt.all(id) as { runId: number; condition: string; name: string; series_json: string }[]) {
      const j = parseJson(r.series_json, {});
      const series = isNumberRecord(j.series) ? j.series : {};
      out.push({
        runId: r.runId,
        condition: r.condition,
        name: r.name,
        ...(typeof j.sampleRate === 'number' ? { sampleRate: j.sampleRate } : {}),
        ...(typeof j.unit === 'string' ? { unit: j.unit } : {}),
        series,
        ...(isNumberRecord(j.markers) ? { markers: j.markers } : {}),
      });
    }
  }
  return out;
}

function isNumberRecord(v: unknown): v is Record<string, number[]> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every((a) => Array.isArray(a) && a.every((x) => typeof x === 'number'));
}

/** Runs and final evaluations from an open record, in one read transaction (a consistent view during a sweep). */
export function snapshotFrom(db: Db, file: string): RecordSnapshot {
  return db.transaction(() => ({
    file,
    schemaVersion: db.pragma('user_version', { simple: true }) as number,
    runs: readRuns(db),
    evaluations: readEvaluations(db),
  }))();
}

/** Runs and final evaluations of a record, read in one go. */
export function readSnapshot(file: string): RecordSnapshot {
  const h = openRecordReadOnly(file);
  try {
    return snapshotFrom(h.db, file);
  } finally {
    h.close();
  }
}

/** Median over epochs of each run's median step time (ms), from `timings`; runs without timings are absent. */
export function readStepTimes(db: Db, runIds: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  if (runIds.length === 0 || !hasTable(db, 'timings')) return out;
  const stmt = db.prepare('SELECT step_ms_median AS ms FROM timings WHERE run_id = ? ORDER BY step_ms_median');
  for (const id of runIds) {
    const ms = (stmt.all(id) as { ms: number }[]).map((r) => r.ms).filter((v) => Number.isFinite(v));
    if (ms.length) out.set(id, ms.length % 2 ? ms[(ms.length - 1) / 2]! : (ms[ms.length / 2 - 1]! + ms[ms.length / 2]!) / 2);
  }
  return out;
}
