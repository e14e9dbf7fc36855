/**
 * The single-task baseline as a loss weighting: task t alone (coefficient 1 on L_t, 0 elsewhere),
 * on the same model, so that its metrics on task t are the Δm% baseline.
 */
import { checkStep, StatelessMethod } from '../../optimizers/common.js';
import type { LossWeightingMethod, LossWeightingResult, StepInput } from '../../optimizers/types.js';

export function createSingleTask(nTasks: number, task: number, taskName: string): LossWeightingMethod {
  return new (class extends StatelessMethod implements LossWeightingMethod {
    readonly id = 'single-task';
    readonly kind = 'loss-weighting';
    readonly label = `STL(${taskName})`;
    readonly nTasks = nTasks;
    weigh(input: StepInput): LossWeightingResult {
      checkStep(this.id, nTasks, input);
      const c = new Float64Array(nTasks);
      c[task] = 1;
      return { objective: input.losses[task] as number, coefficients: c, weights: c };
    }
  })();
}
