/** The task registry: every benchmark task the runner can run. */
import { ConfigError } from '../errors.js';
import { nyuv2Task } from './nyuv2/task.js';
import { radarEcgTask } from './radar-ecg/task.js';
import { regressionTask } from './regression-task.js';
import type { PluginRef } from '../../optimizers/types.js';
import type { TaskDefinition } from './task.js';

const tasks: TaskDefinition[] = [
  radarEcgTask,
  nyuv2Task,
  regressionTask,
  // TASK-INSERT (keep this marker: new tasks go above it)
];

export const taskRegistry: readonly TaskDefinition[] = tasks;

const plugins = new Map<string, PluginRef>();

/** The plugin module a task came from, or undefined for a built-in task. */
export function taskPlugin(id: string): PluginRef | undefined {
  return plugins.get(id);
}

/** Add a task from a plugin; its id must not clash with a registered task's. */
export function registerTask(def: TaskDefinition, plugin: PluginRef): void {
  const other = tasks.find((x) => x.id === def.id);
  if (other) throw new ConfigError(`task ${def.id}`, def.id, `an id not taken by ${plugins.get(other.id)?.path ?? 'the built-in task'} ${other.displayName}`);
  tasks.push(def);
  plugins.set(def.id, plugin);
}

export function getTask(id: string): TaskDefinition {
  const t = tasks.find((x) => x.id === id);
  if (!t) throw new ConfigError('task', id, `one of ${tasks.map((x) => x.id).join(', ')}`);
  return t;
}
