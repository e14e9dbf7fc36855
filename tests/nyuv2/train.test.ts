import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { loadBackend } from '../../src/tf/backend.js';
import { Rng } from '../../src/rng.js';
import { writeNyuv2Fixture } from '../../datasets/nyuv2/fixture.js';
import { NyuBatchReader, holdOut, openNyuv2 } from '../../datasets/nyuv2/loader.js';
import { NYU_MODEL_PRESETS, createNyuModel } from '../../src/tasks/nyuv2/model.js';
import { nyuTaskLoss } from '../../src/tasks/nyuv2/losses.js';
import { evaluateNyu, nyuBatchTensors } from '../../src/tasks/nyuv2/evaluate.js';

const { tf, name } = await loadBackend();

t.test('ci model on the fixture: equal-weight sum with Adam, every loss falls', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nyuv2-train-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // Rendered at 64×96 and downscaled on read to the ci preset's 32×48.
  writeNyuv2Fixture({ out: dir, trainSamples: 28, valSamples: 2, height: 64, width: 96, seed: 1 });
  const ds = openNyuv2(dir);
  const rng = Rng.fromSeed(0);
  const split = holdOut(ds.train.count, 8, rng.fork('hold-out'));
  const cfg = NYU_MODEL_PRESETS.ci;
  const size = { height: cfg.inputHeight, width: cfg.inputWidth };
  const train = new NyuBatchReader(ds.train, split.train, { batchSize: 4, size, cache: true });
  const val = new NyuBatchReader(ds.train, split.val, { batchSize: 8, size, cache: true, shuffle: false, dropLast: false });
  const model = createNyuModel(tf, 'ci', rng.fork('model'));
  const lossFn = nyuTaskLoss(tf);
  const opt = tf.train.adam(1e-3);
  const vars = [...model.shared, ...model.heads.flat()];

  const before = await evaluateNyu(tf, model, val);
  const history: number[][] = [];
  const steps = 40;
  const dataRng = rng.fork('data');
  const t0 = performance.now();
  let tensorsAfterFirst = 0;
  while (history.length < steps) {
    for (const b of train.epoch(dataRng)) {
      if (history.length >= steps) break;
      const batch = nyuBatchTensors(tf, b);
      const losses = tf.tidy(() => {
        let parts: TF.Scalar[] = [];
        opt.minimize(
          () => {
            const rep = model.encode(batch.x, true);
            parts = batch.targets.map((target, k) => tf.keep(lossFn(k, model.head(k, rep, true), target)));
            return tf.addN(parts) as TF.Scalar;
          },
          false,
          vars,
        );
        const stacked = tf.stack(parts);
        for (const p of parts) p.dispose(); // kept out of minimize's scope
        return stacked;
      });
      model.commitBuffers();
      history.push(Array.from(losses.dataSync()));
      losses.dispose();
      batch.x.dispose();
      for (const x of batch.targets) x.dispose();
      if (history.length === 1) tensorsAfterFirst = tf.memory().numTensors;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  t.equal(tf.memory().numTensors, tensorsAfterFirst, 'no tensors leak across steps');
  const after = await evaluateNyu(tf, model, val);

  const mean = (rows: number[][], k: number): number => rows.reduce((a, r) => a + r[k]!, 0) / rows.length;
  const tasks = ['segmentation', 'depth', 'normal'];
  tasks.forEach((task, k) => {
    const first = mean(history.slice(0, 5), k);
    const last = mean(history.slice(-5), k);
    t.ok(Number.isFinite(last) && last < 0.9 * first, `${task} training loss falls: first 5 steps ${first.toFixed(3)} → last 5 ${last.toFixed(3)}`);
    t.ok(after.losses[k]! < before.losses[k]!, `${task} held-out loss (eval mode) falls: ${before.losses[k]!.toFixed(3)} → ${after.losses[k]!.toFixed(3)}`);
  });
  t.ok(after.metrics.pixAcc > before.metrics.pixAcc, `pixAcc ${before.metrics.pixAcc.toFixed(3)} → ${after.metrics.pixAcc.toFixed(3)}`);
  t.ok(after.metrics.absErr < before.metrics.absErr, `abs err ${before.metrics.absErr.toFixed(3)} → ${after.metrics.absErr.toFixed(3)} m`);
  t.ok(after.metrics.normalMean < before.metrics.normalMean, `normal mean ${before.metrics.normalMean.toFixed(1)}° → ${after.metrics.normalMean.toFixed(1)}°`);
  t.comment(`${steps} steps of batch 4 at 32×48 on ${name}: ${seconds.toFixed(1)} s (${((1000 * seconds) / steps).toFixed(0)} ms/step)`);
  opt.dispose();
  model.dispose();
});
