/** The task registry: every benchmark task the runner can run. */
import { ConfigError } from '../errors.js';
import { nyuv2Task } from './nyuv2/task.js';
import { radarEcgTask } from './radar-ecg/task.js';
import { regressionTask } from './regression-task.js';
import type { TaskDefinition } from './task.js';

const tasks: TaskDefinition[] = [
  radarEcgTask,
  nyuv2Task,
  regressionTask,
  // TASK-INSERT (keep this marker: new tasks go above it)
];

export const taskRegistry: readonly TaskDefinition[] = tasks;

export function getTask(id: string): TaskDefinition {
  const t = tasks.find((x) => x.id === id);
  if (!t) throw new ConfigError('task', id, `one of ${tasks.map((x) => x.id).join(', ')}`);
  return t;
}
