/** `mtl-bench/math`: the pure math of the methods (dense linear algebra and solvers on Float64Array, no tensors). */
export * from '../../optimizers/linalg.js';
export * from '../../optimizers/solvers/fairgrad.js';
export * from '../../optimizers/solvers/min-norm.js';
export * from '../../optimizers/solvers/nash.js';
export * from '../../optimizers/solvers/newton.js';
export * from '../../optimizers/solvers/nonneg-qp.js';
export * from '../../optimizers/solvers/simplex.js';
export * from '../metrics/deltam.js';
export { pairedComparison, type PairedComparison, type SeedValues } from '../metrics/paired.js';
