import t from 'tap';
import { loadBackend } from '../src/tf/backend.js';
import { Optimizer } from '../src/tf/optim.js';
import { MtlStepper, resolveMode } from '../src/tf/plumbing.js';
import { Trainer, arrayBatches } from '../src/train/trainer.js';
import { createRegressionModel, makeRegressionData, regressionLoss } from '../src/tasks/regression.js';
import { registry } from '../optimizers/index.js';
import { Rng } from '../src/rng.js';
import type { GradMode } from '../optimizers/types.js';

const { tf } = await loadBackend();

async function run(id: string, mode: GradMode, epochs: number) {
  const def = registry.find((d) => d.id === id)!;
  const data = makeRegressionData({ samples: 256, seed: 1 });
  const model = createRegressionModel(tf, data.config, 1);
  const method = def.create(data.config.tasks);
  const opt = new Optimizer(tf, { kind: 'adam', lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-5 });
  const stepper = new MtlStepper(tf, model, method, regressionLoss(tf), opt, { mode: resolveMode(method, def.capabilities, mode) });
  const source = arrayBatches(tf, data.x, [data.config.inputDim], data.y, data.y.map(() => []), 32);
  const trainer = new Trainer(stepper, source, Rng.fromSeed(1), 3e-3, { kind: 'constant' });
  const summaries = [];
  for (let e = 0; e < epochs; e++) summaries.push(await trainer.runEpoch());
  stepper.dispose();
  opt.dispose();
  model.dispose();
  return summaries;
}

t.test('every registered optimizer trains the conflicting regression problem: losses fall, no NaN, no leaks', async (t) => {
  for (const def of registry) {
    const modes: GradMode[] = def.capabilities.requiresRep ? ['rep'] : def.capabilities.repMode && def.kind === 'gradient-aggregation' ? ['param', 'rep'] : ['param'];
    for (const mode of modes) {
      const before = tf.memory().numTensors;
      const s = await run(def.id, mode, 6);
      const first = s[0]!.meanLosses;
      const last = s[s.length - 1]!.meanLosses;
      const finite = s.every((e) => e.meanLosses.every(Number.isFinite));
      t.ok(finite, `${def.id}/${mode}: finite losses`);
      for (let i = 0; i < first.length; i++) t.ok(last[i]! < first[i]!, `${def.id}/${mode}: task ${i} loss ${first[i]!.toFixed(4)} -> ${last[i]!.toFixed(4)}`);
      t.equal(tf.memory().numTensors, before, `${def.id}/${mode}: no tensors leaked over ${s.length} epochs`);
    }
  }
});
