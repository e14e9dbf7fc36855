/** `mtl-bench/optimizers`: the method registry, the method interfaces and the helpers the built-in methods use. */
export { createMethod, findMethod, getMethod, methodGroup, methodPlugin, registerMethod, registry, type MethodGroup } from '../../optimizers/index.js';
export type * from '../../optimizers/types.js';
export { aggregationCaps, canonicalLabel, checkParam, checkStep, checkTasks, combine, linearResult, lossWeightingCaps, resolveParams, StatelessMethod } from '../../optimizers/common.js';
