/**
 * Metric columns of a benchmark: the task's declared metrics (directions, units, printed
 * headings), or, for a task id this build does not know, the metrics found in the record with
 * directions inferred from their names.
 */
import { getTask } from '../src/tasks/index.js';
import type { TaskDefinition } from '../src/tasks/task.js';
import { knownMetricFloor, knownMetricLabel } from './labels.js';
import type { EvaluationRecord } from './source.js';

/** One metric column: its task, name and direction (null: unknown, inferred from no declaration). */
export interface MetricColumn {
  readonly task: string;
  readonly name: string;
  readonly higherIsBetter: boolean | null;
  readonly unit?: string;
  /** Column heading (the task's label for the metric, else its name). */
  readonly label: string;
  /** True when the task id is unknown and the column was taken from the record itself. */
  readonly inferred: boolean;
  /** Δm% floor of the metric (src/metrics/deltam.ts), when the task states one. */
  readonly floor?: number;
}

export function tryTask(id: string): TaskDefinition | null {
  try {
    return getTask(id);
  } catch {
    return null;
  }
}

/** Direction guessed from a metric name, for tasks this build does not know. */
export function inferDirection(name: string): boolean | null {
  const n = name.toLowerCase();
  if (/(acc|pcc|iou|within|r2|corr|f1|precision|recall|auc|psnr|ssim)/.test(n)) return true;
  if (/(err|mse|rmse|mae|loss|mdr|dist|angle|mean|median)/.test(n)) return false;
  return null;
}

export function columnsFor(task: TaskDefinition | null, evals: readonly EvaluationRecord[]): { columns: MetricColumn[]; notes: string[] } {
  const notes: string[] = [];
  const found: { task: string; name: string }[] = [];
  const seen = new Set<string>();
  for (const e of evals) {
    const k = `${e.task}/${e.metric}`;
    if (!seen.has(k)) {
      seen.add(k);
      found.push({ task: e.task, name: e.metric });
    }
  }
  if (task) {
    const columns = task.metrics.map((m): MetricColumn => {
      const label = (m as { label?: unknown }).label;
      const floor = m.floor ?? knownMetricFloor(task.id, m.task, m.name);
      return { task: m.task, name: m.name, higherIsBetter: m.higherIsBetter, ...(m.unit ? { unit: m.unit } : {}), label: typeof label === 'string' ? label : (knownMetricLabel(task.id, m.task, m.name) ?? m.name), inferred: false, ...(floor !== undefined ? { floor } : {}) };
    });
    const declared = new Set(columns.map((c) => `${c.task}/${c.name}`));
    const extra = found.filter((f) => !declared.has(`${f.task}/${f.name}`)).map((f) => `${f.task}.${f.name}`);
    if (extra.length) notes.push(`Recorded but not declared by task ${task.id} (not shown): ${extra.join(', ')}.`);
    return { columns, notes };
  }
  // Unknown task id: the metrics found in the record, grouped by task in order of appearance.
  const tasks: string[] = [];
  for (const f of found) if (!tasks.includes(f.task)) tasks.push(f.task);
  const columns = tasks.flatMap((t) => found.filter((f) => f.task === t).map((f): MetricColumn => ({ task: f.task, name: f.name, higherIsBetter: inferDirection(f.name), label: f.name, inferred: true })));
  notes.push('Task unknown to this build: metric columns taken from the record, directions inferred from the metric names.');
  return { columns, notes };
}

