/**
 * The SQLite record of every run (better-sqlite3, one file, WAL). Schema version in
 * `PRAGMA user_version`, the file marked by `PRAGMA application_id` (APPLICATION_ID); migrations are
 * applied in order on open. docs/schema.md documents the
 * tables and views; the views are plain SQL for the `sqlite3` shell.
 */
import Database from 'better-sqlite3';
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { DataError } from '../errors.js';

export type Db = Database.Database;

export const SCHEMA_VERSION = 4;

const MIGRATIONS: string[] = [
  // v1
  `
  CREATE TABLE experiments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    task TEXT NOT NULL,
    preset TEXT NOT NULL,
    config_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (name, config_json)
  );
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    experiment_id INTEGER REFERENCES experiments(id),
    label TEXT NOT NULL,
    task TEXT NOT NULL,
    preset TEXT NOT NULL,
    method TEXT NOT NULL,
    params_json TEXT NOT NULL,
    single_task INTEGER,
    seed INTEGER NOT NULL,
    mode TEXT NOT NULL,
    train_noise TEXT NOT NULL,
    selection TEXT NOT NULL,
    epochs INTEGER NOT NULL,
    spec_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'errored', 'aborted')),
    error TEXT,
    started_at TEXT,
    ended_at TEXT,
    epochs_done INTEGER NOT NULL DEFAULT 0,
    checkpoint_epoch INTEGER,
    best_epoch INTEGER,
    worker_pid INTEGER,
    worker_host TEXT,
    git_commit TEXT,
    package_version TEXT,
    node_version TEXT,
    backend TEXT,
    dataset_fingerprint TEXT,
    dataset TEXT
  );
  CREATE TABLE epoch_metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    epoch INTEGER NOT NULL,
    split TEXT NOT NULL,
    task TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (run_id, epoch, split, task, metric)
  );
  CREATE TABLE task_weights (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    epoch INTEGER NOT NULL,
    step INTEGER NOT NULL,
    task TEXT NOT NULL,
    weight REAL,
    PRIMARY KEY (run_id, epoch, step, task)
  );
  CREATE TABLE evaluations (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    condition TEXT NOT NULL,
    split TEXT NOT NULL,
    task TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (run_id, condition, split, task, metric)
  );
  CREATE TABLE timings (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    epoch INTEGER NOT NULL,
    steps INTEGER NOT NULL,
    epoch_seconds REAL NOT NULL,
    step_ms_median REAL NOT NULL,
    forward_ms REAL NOT NULL,
    backward_ms REAL NOT NULL,
    aggregate_ms REAL NOT NULL,
    apply_ms REAL NOT NULL,
    peak_rss_mb REAL NOT NULL,
    learning_rate REAL NOT NULL,
    PRIMARY KEY (run_id, epoch)
  );
  CREATE INDEX runs_label ON runs(label);
  CREATE VIEW run_summary AS
    SELECT r.id, r.label, r.task, r.preset, r.seed, r.status, r.epochs_done, r.epochs, r.best_epoch,
           r.backend, r.started_at, r.ended_at, r.error
    FROM runs r;
  CREATE VIEW final_metrics AS
    SELECT r.label, r.task AS benchmark, r.preset, r.seed, e.condition, e.task, e.metric, e.value
    FROM evaluations e JOIN runs r ON r.id = e.run_id
    WHERE r.status = 'completed' AND e.split = 'test';
  CREATE VIEW training_curves AS
    SELECT r.label, r.seed, m.epoch, m.split, m.task, m.metric, m.value
    FROM epoch_metrics m JOIN runs r ON r.id = m.run_id;
  CREATE VIEW run_cost AS
    SELECT r.label, r.seed, r.backend, COUNT(t.epoch) AS epochs, SUM(t.epoch_seconds) AS train_seconds,
           AVG(t.step_ms_median) AS step_ms, MAX(t.peak_rss_mb) AS peak_rss_mb
    FROM timings t JOIN runs r ON r.id = t.run_id GROUP BY r.id;
  `,
  // v2: example predictions for plots (reconstructed vs reference signals), per run and condition.
  `
  CREATE TABLE examples (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    condition TEXT NOT NULL,
    name TEXT NOT NULL,
    series_json TEXT NOT NULL,
    PRIMARY KEY (run_id, condition, name)
  );
  `,
  // v3: the views carry the run id, the experiment and the configured epochs, so that runs of the
  // same label and seed from different experiments (e.g. 4 and 8 epochs, merged) stay apart.
  `
  DROP VIEW run_summary;
  DROP VIEW final_metrics;
  DROP VIEW training_curves;
  DROP VIEW run_cost;
  CREATE VIEW run_summary AS
    SELECT r.id AS run_id, x.name AS experiment, r.label, r.method, r.task, r.preset, r.seed, r.status,
           r.epochs_done, r.epochs, r.best_epoch, r.backend, r.started_at, r.ended_at, r.error
    FROM runs r LEFT JOIN experiments x ON x.id = r.experiment_id;
  CREATE VIEW final_metrics AS
    SELECT r.id AS run_id, x.name AS experiment, r.label, r.method, r.params_json, r.task AS benchmark, r.preset,
           r.seed, r.epochs, e.condition, e.task, e.metric, e.value
    FROM evaluations e JOIN runs r ON r.id = e.run_id LEFT JOIN experiments x ON x.id = r.experiment_id
    WHERE r.status = 'completed' AND e.split = 'test';
  CREATE VIEW training_curves AS
    SELECT r.id AS run_id, x.name AS experiment, r.label, r.seed, r.epochs, m.epoch, m.split, m.task, m.metric, m.value
    FROM epoch_metrics m JOIN runs r ON r.id = m.run_id LEFT JOIN experiments x ON x.id = r.experiment_id;
  CREATE VIEW run_cost AS
    SELECT r.id AS run_id, x.name AS experiment, r.label, r.seed, r.backend, r.epochs,
           COUNT(t.epoch) AS epochs_timed, SUM(t.epoch_seconds) AS train_seconds,
           AVG(t.step_ms_median) AS step_ms, MAX(t.peak_rss_mb) AS peak_rss_mb
    FROM timings t JOIN runs r ON r.id = t.run_id LEFT JOIN experiments x ON x.id = r.experiment_id GROUP BY r.id;
  `,
  // v4: the wasm backend's thread count (NULL for the other backends and for older runs).
  `
  ALTER TABLE runs ADD COLUMN threads INTEGER;
  DROP VIEW run_cost;
  CREATE VIEW run_cost AS
    SELECT r.id AS run_id, x.name AS experiment, r.label, r.seed, r.backend, r.threads, r.epochs,
           COUNT(t.epoch) AS epochs_timed, SUM(t.epoch_seconds) AS train_seconds,
           AVG(t.step_ms_median) AS step_ms, MAX(t.peak_rss_mb) AS peak_rss_mb
    FROM timings t JOIN runs r ON r.id = t.run_id LEFT JOIN experiments x ON x.id = r.experiment_id GROUP BY r.id;
  `,
];

/** `PRAGMA application_id` of an mtl-bench record: "MTLB". */
export const APPLICATION_ID = 0x4d544c42;

const EXPECTED = 'expected an mtl-bench SQLite record';

/**
 * Open (or create) a record for writing. An existing file is first recognised as an mtl-bench
 * record from its bytes (probeRecord), before SQLite opens it, so a foreign or damaged file is
 * refused unchanged. A new file gets the application id before it is switched to WAL.
 */
export function openDb(file: string): Db {
  const kind = probeRecord(file, { mustExist: false });
  let db: Db;
  try {
    db = new Database(file);
  } catch (e) {
    throw new DataError(file, `cannot open as SQLite: ${(e as Error).message} (${EXPECTED})`);
  }
  try {
    if (kind === 'new') db.pragma(`application_id = ${APPLICATION_ID}`);
    else {
      checkOpened(db, file, true);
      quickCheck(db, file);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 30000');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    migrate(db, file);
  } catch (e) {
    db.close();
    throw sqliteError(file, e);
  }
  return db;
}

/** A failure inside SQLite on a file that passed the probe (corrupt pages): one line naming the file. */
export function sqliteError(file: string, e: unknown): Error {
  if (e instanceof DataError) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return new DataError(file, `damaged SQLite file: ${(e as Error).message} (${EXPECTED})`);
  return e as Error;
}

/**
 * What the file at `file` is, judged from its bytes without opening it in SQLite: 'new' (missing,
 * or 0 bytes when it may be created), 'record' (carries the mtl-bench application id) or
 * 'legacy' (an SQLite file without an application id whose schema version says mtl-bench, or
 * whose unmerged WAL must be read to tell: checkOpened decides once it is open). Anything else
 * (a directory, a non-SQLite or truncated file, a foreign SQLite database) throws a DataError
 * naming the file and what was expected.
 */
export function probeRecord(file: string, opts: { mustExist: boolean }): 'new' | 'record' | 'legacy' {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT' && !opts.mustExist) return 'new';
    if ((e as { code?: string }).code === 'ENOENT') throw new DataError(file, `no such file (${EXPECTED})`);
    throw new DataError(file, `cannot read: ${(e as Error).message} (${EXPECTED})`);
  }
  if (st.isDirectory()) throw new DataError(file, `is a directory (${EXPECTED})`);
  if (!st.isFile()) throw new DataError(file, `is not a regular file (${EXPECTED})`);
  if (st.size === 0) {
    if (opts.mustExist) throw new DataError(file, `is empty (0 bytes) (${EXPECTED})`);
    return 'new';
  }
  const head = Buffer.alloc(100);
  let n: number;
  try {
    const fd = openSync(file, 'r');
    try {
      n = readSync(fd, head, 0, 100, 0);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new DataError(file, `cannot read: ${(e as Error).message} (${EXPECTED})`);
  }
  if (n < 16 || head.toString('latin1', 0, 16) !== 'SQLite format 3\0') throw new DataError(file, `not an SQLite file (no "SQLite format 3" header; ${EXPECTED})`);
  if (n < 100) throw new DataError(file, `truncated: ${st.size} bytes, shorter than the 100-byte SQLite header (${EXPECTED})`);
  const raw = head.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw new DataError(file, `damaged SQLite header: page size ${raw} (${EXPECTED})`);
  if (st.size % pageSize !== 0) throw new DataError(file, `truncated or damaged: ${st.size} bytes is not a whole number of ${pageSize}-byte pages (${EXPECTED})`);
  const pages = head.readUInt32BE(28);
  // The header's page count is checked only when no WAL is in use: a checkpoint writes page 1
  // before the pages that extend the file, so a reader during a sweep may see it ahead.
  if (head.readUInt32BE(24) === head.readUInt32BE(92) && pages * pageSize > st.size && !walHasData(file)) throw new DataError(file, `truncated: ${st.size} bytes, the header says ${pages} pages of ${pageSize} bytes (${EXPECTED})`);
  if (head[18]! > 2 || head[19]! > 2 || head[18] === 0 || head[19] === 0) throw new DataError(file, `damaged SQLite header: file format ${head[18]}/${head[19]} (${EXPECTED})`);
  const appId = head.readUInt32BE(68);
  const version = head.readUInt32BE(60);
  if (appId === APPLICATION_ID) {
    if (version > SCHEMA_VERSION) throw new DataError(file, `schema version ${version} is newer than this mtl-bench (${SCHEMA_VERSION}); upgrade mtl-bench`);
    return 'record';
  }
  if (appId !== 0) throw new DataError(file, `a foreign SQLite database (application id 0x${appId.toString(16)}, ${EXPECTED})`);
  if (version >= 1 && version <= SCHEMA_VERSION) return 'legacy';
  // Schema version 0 in the main file: a record of earlier mtl-bench versions killed before its
  // first checkpoint keeps everything in its WAL file; anything else is not ours.
  if (version === 0 && walHasData(file)) return 'legacy';
  throw new DataError(file, `a foreign SQLite database (no mtl-bench application id, schema version ${version}; ${EXPECTED})`);
}

function walHasData(file: string): boolean {
  try {
    return statSync(`${file}-wal`).size > 32;
  } catch {
    return false;
  }
}

/**
 * After opening a 'record' or 'legacy' file: its schema must be mtl-bench's (read-only checks).
 * `allowFresh`: a file with our application id and no tables yet (created, then interrupted
 * before its first migration) is accepted, for a writer to migrate.
 */
export function checkOpened(db: Db, file: string, allowFresh = false): void {
  let appId: number;
  let version: number;
  try {
    appId = db.pragma('application_id', { simple: true }) as number;
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (e) {
    throw sqliteError(file, e);
  }
  if (appId !== 0 && appId !== APPLICATION_ID) throw new DataError(file, `a foreign SQLite database (application id 0x${appId.toString(16)}, ${EXPECTED})`);
  if (version > SCHEMA_VERSION) throw new DataError(file, `schema version ${version} is newer than this mtl-bench (${SCHEMA_VERSION}); upgrade mtl-bench`);
  let hasRuns: boolean;
  try {
    hasRuns = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").get() !== undefined;
  } catch (e) {
    throw sqliteError(file, e);
  }
  if (allowFresh && appId === APPLICATION_ID && version === 0) return;
  if (version < 1 || !hasRuns) throw new DataError(file, `a foreign SQLite database (no runs table / schema version ${version}; ${EXPECTED})`);
}

/** SQLite's structural check of the whole file (pages, indexes): a damaged record is refused. */
export function quickCheck(db: Db, file: string): void {
  let res: unknown;
  try {
    res = db.pragma('quick_check(1)', { simple: true });
  } catch (e) {
    throw sqliteError(file, e);
  }
  if (res !== 'ok') throw new DataError(file, `damaged SQLite file: ${String(res).split('\n')[0]} (${EXPECTED})`);
}

export function migrate(db: Db, file = '<db>'): void {
  let version: number;
  try {
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (e) {
    throw new DataError(file, `not an SQLite database: ${(e as Error).message}`);
  }
  if (version > SCHEMA_VERSION) throw new DataError(file, `schema version ${version} is newer than this mtl-bench (${SCHEMA_VERSION}); upgrade mtl-bench`);
  if (version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    if (tables.n > 0) throw new DataError(file, 'holds tables but no mtl-bench schema version: not an mtl-bench database');
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) db.pragma(`application_id = ${APPLICATION_ID}`);
}
