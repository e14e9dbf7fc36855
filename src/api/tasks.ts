/** `mtl-bench/tasks`: the task interface (data, model, losses, metrics with directions) and the task registry. */
export type * from '../tasks/task.js';
export type { MultiTaskModel, TaskLossFn } from '../tf/model.js';
export type { OptimizerConfig, ScheduleConfig } from '../tf/optim.js';
export type { Batch, BatchSource } from '../train/trainer.js';
export { getTask, registerTask, taskPlugin, taskRegistry } from '../tasks/index.js';
