/**
 * A record with hand-made rows and known values, for the report tests.
 *
 * Task 'toy' (unknown to the registry, so columns come from the record: A.acc ↑ and B.err ↓ by
 * name), preset 'ci', seeds 0 and 1:
 *   STL(A): A.acc 0.80, 0.70        STL(B): B.err 2.0, 3.0      → baseline mean [0.75, 2.5]
 *   EW:     A.acc 0.88, 0.84; B.err 1.8, 2.4  → Δm% per seed 10, 20     (mean 15, std 7.0711)
 *   CAGrad: A.acc 0.76, 0.70; B.err 1.0, 1.5  → Δm% 22.5, 25           (mean 23.75)
 *   EGA T=0.5: A 0.78, 0.74; B 2.2, 2.6       → Δm% −6.25, 9.5238
 *   EGA T=1:   A 0.82, 0.80; B 1.2, 1.6       → Δm% 21.25, 30.4762     (best Δm%)
 *   PCGrad seed 2 only (no STL at seed 2): A 0.75, B 2.5 → Δm% 0 against the mean baseline
 *   UW seed 0 errored; DWA seed 0 running.
 * EW and CAGrad are also evaluated under snr0dB and abrupt2s@-9dB; EW seed 0 stores two examples.
 */
import type Database from 'better-sqlite3';
import { openDb } from '../../src/run/db.js';

export interface HandRun {
  label: string;
  method: string;
  params?: Record<string, unknown>;
  singleTask?: number | null;
  seed: number;
  status?: string;
  error?: string;
  /** condition → task/metric → value */
  evals?: Record<string, Record<string, number>>;
}

const EGA_PARAMS = (T: number) => ({ T, warmupEpoch: 4, variant: 'paper', rankEps: 1.1920928955078125e-7 });
const egaLabel = (T: number) => `EGA(T=${T})`;
export const EGA_LABEL_05 = egaLabel(0.5);
export const EGA_LABEL_1 = egaLabel(1);

export const HAND_RUNS: HandRun[] = [
  { label: 'STL(A)', method: 'single-task', singleTask: 0, seed: 0, evals: { clean: { 'A/acc': 0.8, 'B/err': 9 } } },
  { label: 'STL(A)', method: 'single-task', singleTask: 0, seed: 1, evals: { clean: { 'A/acc': 0.7, 'B/err': 9 } } },
  { label: 'STL(B)', method: 'single-task', singleTask: 1, seed: 0, evals: { clean: { 'A/acc': 0.1, 'B/err': 2.0 } } },
  { label: 'STL(B)', method: 'single-task', singleTask: 1, seed: 1, evals: { clean: { 'A/acc': 0.1, 'B/err': 3.0 } } },
  { label: 'EW', method: 'ew', seed: 0, evals: { clean: { 'A/acc': 0.88, 'B/err': 1.8 }, snr0dB: { 'A/acc': 0.8, 'B/err': 2.0 }, 'abrupt2s@-9dB': { 'A/acc': 0.7, 'B/err': 3.0 } } },
  { label: 'EW', method: 'ew', seed: 1, evals: { clean: { 'A/acc': 0.84, 'B/err': 2.4 }, snr0dB: { 'A/acc': 0.8, 'B/err': 2.4 } } },
  { label: 'CAGrad(c=0.5, rescale=1)', method: 'cagrad', params: { c: 0.5, rescale: 1 }, seed: 0, evals: { clean: { 'A/acc': 0.76, 'B/err': 1.0 }, snr0dB: { 'A/acc': 0.74, 'B/err': 1.1 }, 'abrupt2s@-9dB': { 'A/acc': 0.6, 'B/err': 1.5 } } },
  { label: 'CAGrad(c=0.5, rescale=1)', method: 'cagrad', params: { c: 0.5, rescale: 1 }, seed: 1, evals: { clean: { 'A/acc': 0.7, 'B/err': 1.5 }, snr0dB: { 'A/acc': 0.7, 'B/err': 1.6 } } },
  { label: EGA_LABEL_1, method: 'ega', params: EGA_PARAMS(1), seed: 0, evals: { clean: { 'A/acc': 0.82, 'B/err': 1.2 } } },
  { label: EGA_LABEL_1, method: 'ega', params: EGA_PARAMS(1), seed: 1, evals: { clean: { 'A/acc': 0.8, 'B/err': 1.6 } } },
  { label: EGA_LABEL_05, method: 'ega', params: EGA_PARAMS(0.5), seed: 0, evals: { clean: { 'A/acc': 0.78, 'B/err': 2.2 } } },
  { label: EGA_LABEL_05, method: 'ega', params: EGA_PARAMS(0.5), seed: 1, evals: { clean: { 'A/acc': 0.74, 'B/err': 2.6 } } },
  { label: 'PCGrad', method: 'pcgrad', seed: 2, evals: { clean: { 'A/acc': 0.75, 'B/err': 2.5 } } },
  { label: 'UW', method: 'uw', seed: 0, status: 'errored', error: 'NumericalError: loss became NaN at epoch 2\n    at stack line' },
  { label: 'DWA(T=2)', method: 'dwa', params: { T: 2 }, seed: 0, status: 'running' },
];

/** Insert runs (with their evaluations, curves and weights) into an open record. */
export function insertRuns(db: Database.Database, runs: readonly HandRun[], opts: { task?: string; preset?: string; experiment?: string } = {}): number[] {
  const task = opts.task ?? 'toy';
  const preset = opts.preset ?? 'ci';
  db.prepare("INSERT OR IGNORE INTO experiments (name, task, preset, config_json, created_at) VALUES (?, ?, ?, '{}', '2025-01-01T00:00:00Z')").run(opts.experiment ?? 'hand', task, preset);
  const exp = (db.prepare('SELECT id FROM experiments WHERE name = ? AND config_json = ?').get(opts.experiment ?? 'hand', '{}') as { id: number }).id;
  const insRun = db.prepare(`INSERT INTO runs (key, experiment_id, label, task, preset, method, params_json, single_task, seed, mode, train_noise, selection, epochs, spec_json, status, error,
      started_at, ended_at, epochs_done, best_epoch, git_commit, package_version, node_version, backend, dataset_fingerprint, dataset)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'param', 'clean', 'validation', 3, '{}', ?, ?, '2025-01-01T00:00:00Z', ?, ?, 2, 'abc1234', '0.1.0', 'v20.0.0', 'wasm', 'fp-toy', 'toy data')`);
  const insEval = db.prepare("INSERT INTO evaluations (run_id, condition, split, task, metric, value) VALUES (?, ?, 'test', ?, ?, ?)");
  const insCurve = db.prepare('INSERT OR REPLACE INTO epoch_metrics (run_id, epoch, split, task, metric, value) VALUES (?, ?, ?, ?, ?, ?)');
  const insW = db.prepare('INSERT INTO task_weights (run_id, epoch, step, task, weight) VALUES (?, ?, ?, ?, ?)');
  const ids: number[] = [];
  db.transaction(() => {
    for (const [i, r] of runs.entries()) {
      const status = r.status ?? 'completed';
      const done = status === 'completed' ? 3 : 1;
      const id = Number(
        insRun.run(`${task}-${preset}-${i}-${r.label}-${r.seed}`, exp, r.label, task, preset, r.method, JSON.stringify(r.params ?? {}), r.singleTask ?? null, r.seed, status, r.error ?? null, status === 'completed' || status === 'errored' ? `2025-01-01T00:0${i % 10}:00Z` : null, done).lastInsertRowid,
      );
      ids.push(id);
      for (const [cond, vals] of Object.entries(r.evals ?? {})) for (const [k, v] of Object.entries(vals)) {
        const [t, m] = k.split('/') as [string, string];
        insEval.run(id, cond, t, m, v);
      }
      const clean = r.evals?.clean ?? {};
      for (let e = 0; e < done; e++) {
        for (const [k, v] of Object.entries(clean)) {
          const [t, m] = k.split('/') as [string, string];
          insCurve.run(id, e, 'train', t, 'loss', (3 - e) * (1 + 0.1 * r.seed));
          insCurve.run(id, e, 'val', t, m, v * (1 + 0.1 * (2 - e)));
        }
        if (r.singleTask === undefined || r.singleTask === null) {
          insW.run(id, e, -1, 'A', 1 + 0.1 * e);
          insW.run(id, e, -1, 'B', 1 - 0.1 * e);
          insW.run(id, e, 0, 'A', 1);
          insW.run(id, e, 0, 'B', 1);
        }
      }
    }
  })();
  return ids;
}

/** Store example series for a run. */
export function insertExamples(db: Database.Database, runId: number): void {
  const n = 200;
  const reference = Array.from({ length: n }, (_, i) => Math.exp(-(((i - 100) / 8) ** 2)) - 0.2 * Math.exp(-(((i - 60) / 15) ** 2)));
  const reconstructed = reference.map((v, i) => v * 0.9 + 0.02 * Math.sin(i / 7));
  const long = Array.from({ length: 3000 }, (_, i) => Math.exp(-((((i % 160) - 80) / 6) ** 2)));
  const ins = db.prepare('INSERT INTO examples (run_id, condition, name, series_json) VALUES (?, ?, ?, ?)');
  ins.run(runId, 'clean', 'cycle', JSON.stringify({ sampleRate: 200, unit: 'mV', series: { reference, reconstructed } }));
  ins.run(runId, 'clean', 'long-term', JSON.stringify({ sampleRate: 200, unit: 'mV', series: { reference: long, reconstructed: long.map((v) => v * 0.95) }, markers: { 'predicted anchors': [80, 240, 400, 560], 'reference R peaks': [81, 241, 399, 561] } }));
}

/** Create the hand-made record described above. */
export function makeHandDb(file: string): { ids: number[] } {
  const db = openDb(file);
  try {
    const ids = insertRuns(db, HAND_RUNS);
    insertExamples(db, ids[4]!);
    return { ids };
  } finally {
    db.close();
  }
}
