/**
 * The SQLite record of every run (better-sqlite3, one file, WAL). Schema version in
 * `PRAGMA user_version`; migrations are applied in order on open. docs/schema.md documents the
 * tables and views; the views are plain SQL for the `sqlite3` shell.
 */
import Database from 'better-sqlite3';
import { DataError } from '../errors.js';

export type Db = Database.Database;

export const SCHEMA_VERSION = 3;

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
];

export function openDb(file: string): Db {
  let db: Db;
  try {
    db = new Database(file);
  } catch (e) {
    throw new DataError(file, `cannot open as SQLite: ${(e as Error).message}`);
  }
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 30000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  migrate(db, file);
  return db;
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
}
