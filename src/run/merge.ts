/**
 * `mtl-bench merge A.sqlite B.sqlite --into ALL.sqlite`: combine the records of shards. Runs are
 * matched by their key; a completed run replaces an unfinished copy; identical completed copies
 * are skipped (merging twice changes nothing); completed copies whose numbers differ are
 * reported as conflicts and the target's copy is kept.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { DataError } from '../errors.js';
import { statSync } from 'node:fs';
import { openRecordReadOnly, hasTable } from '../../reports/source.js';
import { openDb, type Db } from './db.js';

export interface MergeReport {
  readonly copied: number;
  readonly replaced: number;
  readonly identical: number;
  readonly skipped: number;
  readonly conflicts: readonly { key: string; label: string; seed: number; source: string; detail: string }[];
}

const CHILD_TABLES = ['epoch_metrics', 'task_weights', 'evaluations', 'timings', 'examples'] as const;

function columns(db: Db, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

function evalSignature(db: Db, runId: number): string {
  const rows = db.prepare('SELECT condition, split, task, metric, value FROM evaluations WHERE run_id = ? ORDER BY condition, split, task, metric').all(runId);
  return JSON.stringify(rows);
}

/** Device and inode of an existing file (following links), or null: the same file under any spelling. */
function identity(file: string): string | null {
  try {
    const st = statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/**
 * Every source must be an existing mtl-bench record (opened read-only, never created or migrated)
 * and none may be the target under any spelling of its path (symlink, hard link, ./); all of this
 * is checked before the target is opened or created.
 */
export function mergeDatabases(sources: readonly string[], into: string): MergeReport {
  const intoId = identity(into);
  const seen = new Map<string, string>();
  for (const file of sources) {
    const id = identity(file);
    if (id !== null && id === intoId) throw new DataError(file, `is the merge target ${into} (the same file); expected a different record`);
    if (id !== null && seen.has(id)) throw new DataError(file, `is the same file as the source ${seen.get(id)}; expected each record once`);
    if (id !== null) seen.set(id, file);
  }
  const opened = sources.map((file) => ({ file, h: openRecordReadOnly(file) }));
  const report = { copied: 0, replaced: 0, identical: 0, skipped: 0, conflicts: [] as MergeReport['conflicts'][number][] };
  try {
    const target = openDb(into);
    try {
      for (const { file, h } of opened) target.transaction(() => mergeOne(h.db, target, file, into, report))();
    } finally {
      target.close();
    }
  } finally {
    for (const { h } of opened) h.close();
  }
  return report;
}

/**
 * An unfinished run continues from its checkpoints: copy them next to the target (`<db>.checkpoints/<key>/`).
 * Without any, the copy restarts from scratch: its committed epochs are dropped so nothing stale stays.
 */
function carryCheckpoints(dst: Db, file: string, into: string, key: string, runId: number): void {
  const from = `${file}.checkpoints/${key}`;
  const to = `${into}.checkpoints/${key}`;
  rmSync(to, { recursive: true, force: true });
  if (existsSync(from)) {
    cpSync(from, to, { recursive: true, filter: (f) => !/\.tmp-\d+$/.test(f) });
    dst.prepare("UPDATE runs SET status = CASE WHEN status = 'running' THEN 'aborted' ELSE status END, worker_pid = NULL, worker_host = NULL WHERE id = ?").run(runId);
  } else {
    for (const t of ['epoch_metrics', 'task_weights', 'timings']) dst.prepare(`DELETE FROM ${t} WHERE run_id = ?`).run(runId);
    dst.prepare("UPDATE runs SET status = 'pending', epochs_done = 0, checkpoint_epoch = NULL, best_epoch = NULL, worker_pid = NULL, worker_host = NULL WHERE id = ?").run(runId);
  }
}

function mergeOne(src: Db, dst: Db, file: string, into: string, report: { copied: number; replaced: number; identical: number; skipped: number; conflicts: MergeReport['conflicts'][number][] }): void {
  const expCols = columns(src, 'experiments').filter((c) => c !== 'id');
  const runCols = columns(src, 'runs').filter((c) => c !== 'id' && c !== 'experiment_id');
  const expMap = new Map<number, number>();
  for (const e of src.prepare('SELECT * FROM experiments').all() as Record<string, unknown>[]) {
    dst.prepare(`INSERT OR IGNORE INTO experiments (${expCols.join(', ')}) VALUES (${expCols.map(() => '?').join(', ')})`).run(...expCols.map((c) => e[c]));
    const id = (dst.prepare('SELECT id FROM experiments WHERE name = ? AND config_json = ?').get(e.name, e.config_json) as { id: number }).id;
    expMap.set(e.id as number, id);
  }
  for (const r of src.prepare('SELECT * FROM runs').all() as Record<string, unknown>[]) {
    const existing = dst.prepare('SELECT id, status FROM runs WHERE key = ?').get(r.key) as { id: number; status: string } | undefined;
    if (existing) {
      if (existing.status === 'completed' && r.status === 'completed') {
        const a = evalSignature(dst, existing.id);
        const b = evalSignature(src, r.id as number);
        if (a === b) report.identical++;
        else report.conflicts.push({ key: String(r.key), label: String(r.label), seed: Number(r.seed), source: file, detail: 'both completed with different final metrics; kept the target copy' });
        continue;
      }
      if (existing.status === 'completed' || r.status !== 'completed') {
        report.skipped++;
        continue;
      }
      for (const t of CHILD_TABLES) dst.prepare(`DELETE FROM ${t} WHERE run_id = ?`).run(existing.id);
      dst.prepare('DELETE FROM runs WHERE id = ?').run(existing.id);
      rmSync(`${into}.checkpoints/${String(r.key)}`, { recursive: true, force: true });
      report.replaced++;
    } else report.copied++;
    const info = dst.prepare(`INSERT INTO runs (experiment_id, ${runCols.join(', ')}) VALUES (?, ${runCols.map(() => '?').join(', ')})`).run(r.experiment_id === null ? null : expMap.get(r.experiment_id as number), ...runCols.map((c) => r[c]));
    const newId = Number(info.lastInsertRowid);
    for (const t of CHILD_TABLES) {
      if (!hasTable(src, t)) continue; // a source of an older schema version
      const cols = columns(src, t).filter((c) => c !== 'run_id');
      const ins = dst.prepare(`INSERT INTO ${t} (run_id, ${cols.join(', ')}) VALUES (?, ${cols.map(() => '?').join(', ')})`);
      for (const row of src.prepare(`SELECT * FROM ${t} WHERE run_id = ?`).all(r.id) as Record<string, unknown>[]) ins.run(newId, ...cols.map((c) => row[c]));
    }
    if (r.status !== 'completed') carryCheckpoints(dst, file, into, String(r.key), newId);
  }
}
