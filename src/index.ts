/**
 * mtl-bench as a library: run experiments from a config object, read records and build results
 * tables, and reach the method registry (also under `mtl-bench/optimizers`), the pure math
 * (`mtl-bench/math`) and the task interface (`mtl-bench/tasks`).
 */
export { prepareExperiment, runExperiment, expandGrid, presetConfigs, presetNames, validateConfig, type ExperimentConfig, type GridResult, type RunOptions, type RunSpec } from './api/run.js';
export { openRecord, recordResults, resultsTable, resultsTables, type RecordSnapshot, type ResultsModel, type Table, type TableOptions } from './api/record.js';
export { createMethod, findMethod, getMethod, registerMethod, registry } from './api/optimizers.js';
export type { MethodDefinition, MtlMethod, LossWeightingMethod, GradientAggregationMethod, Capabilities, ParamSpec, ParamValues, PluginRef } from './api/optimizers.js';
export type { TaskDefinition, MetricSpec, PreparedData } from './api/tasks.js';
export { loadPlugin, loadPlugins, loadedPlugins, type LoadedPlugin } from './plugins/load.js';
export { ConfigError, DataError, MtlBenchError, NumericalError, PluginError, ShapeError, UnsupportedError } from './errors.js';
