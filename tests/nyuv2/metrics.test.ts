import t, { type Test } from 'tap';
import { loadBackend } from '../../src/tf/backend.js';
import { ShapeError } from '../../src/errors.js';
import { NyuMetricAccumulator, argmaxLast, segmentationScores } from '../../src/tasks/nyuv2/metrics.js';
import { NYUV2_METRICS, nyuDeltaMSpec, nyuMetricRow } from '../../src/tasks/nyuv2/metric-spec.js';
import { depthLoss, normalLoss, nyuTaskLoss, segmentationLoss } from '../../src/tasks/nyuv2/losses.js';
import { deltaMFromSpec } from '../../src/metrics/deltam.js';

const close = (t: Test, a: number, b: number, msg: string, tol = 1e-9): void => {
  t.ok(Math.abs(a - b) <= tol, `${msg}: ${a} ≈ ${b}`);
};

t.test('segmentation: confusion, IoU, mIoU with LibMTL NaN behaviour and the nan-skipping variant', async (t) => {
  const acc = new NyuMetricAccumulator();
  // gt −1 pixels are skipped whatever the prediction.
  acc.addSegmentation([0, 1, 1, 1, 0, 5], [0, 0, 1, 1, 2, -1]);
  const r = acc.result();
  t.equal(r.confusion[0 * 13 + 0], 1);
  t.equal(r.confusion[0 * 13 + 1], 1);
  t.equal(r.confusion[1 * 13 + 1], 2);
  t.equal(r.confusion[2 * 13 + 0], 1);
  close(t, r.iou[0]!, 1 / 3, 'IoU 0 = 1/(2+2−1)');
  close(t, r.iou[1]!, 2 / 3, 'IoU 1 = 2/(2+3−2)');
  close(t, r.iou[2]!, 0, 'IoU 2 = 0/1');
  t.ok(Number.isNaN(r.iou[3]!), 'absent class: 0/0');
  t.ok(Number.isNaN(r.mIoU), 'mIoU NaN as torch.mean');
  close(t, r.mIoUNanSkip, 1 / 3, 'nan-skipping mIoU');
  close(t, r.pixAcc, 3 / 5, 'pixAcc');
  t.equal(r.segPixels, 5);

  // Every class present: mIoU is finite.
  const gt = Array.from({ length: 13 }, (_, i) => i);
  const pred = gt.map((g) => (g === 12 ? 0 : g));
  const s = new NyuMetricAccumulator();
  s.addSegmentation(pred.slice(0, 7), gt.slice(0, 7));
  s.addSegmentation(pred.slice(7), gt.slice(7));
  const q = s.result();
  close(t, q.mIoU, (11 + 0.5 + 0) / 13, 'mIoU');
  close(t, q.pixAcc, 12 / 13, 'pixAcc');
  t.throws(() => s.addSegmentation([0], [0, 1]), ShapeError);
  t.throws(() => s.addSegmentation([13], [0]), /a class in 0..12/);
});

t.test('segmentation from scores: argmax with first-index ties', async (t) => {
  t.same(Array.from(argmaxLast([0, 2, 1, 5, 5, 0], 3)), [1, 0]);
  const acc = new NyuMetricAccumulator();
  const scores = new Float32Array(2 * 13);
  scores[4] = 3;
  scores[13 + 7] = 1;
  acc.addSegmentationScores(scores, [4, 6]);
  close(t, acc.result().pixAcc, 0.5, 'one of two right');
  const scored = segmentationScores(acc.result().confusion);
  close(t, scored.iou[4]!, 1, 'IoU 4');
});

t.test('depth: abs and rel error over valid pixels of the whole split', async (t) => {
  const one = new NyuMetricAccumulator();
  one.addDepth([1, 2, 3, 4], [2, 0, 4, 2]);
  const r = one.result();
  close(t, r.absErr, 4 / 3, 'abs = (1 + 1 + 2)/3');
  close(t, r.relErr, (1 / 2 + 1 / 4 + 2 / 2) / 3, 'rel');
  t.equal(r.depthPixels, 3);
  // Two batches give the global pixel mean, not the mean of batch means.
  const two = new NyuMetricAccumulator();
  two.addDepth([1], [2]);
  two.addDepth([3, 4, 9], [4, 2, 0]);
  close(t, two.result().absErr, 4 / 3, 'accumulated abs');
  close(t, two.result().relErr, (1 / 2 + 1 / 4 + 2 / 2) / 3, 'accumulated rel');
});

t.test('normal: angle mean, median, shares within 11.25/22.5/30 degrees', async (t) => {
  const deg = Math.PI / 180;
  const make = (angles: number[]): { pred: number[]; gt: number[] } => {
    const pred: number[] = [];
    const gt: number[] = [];
    for (const a of angles) {
      pred.push(2 * Math.sin(a * deg), 0, 2 * Math.cos(a * deg)); // not unit: normalised by the metric
      gt.push(0, 0, 1);
    }
    pred.push(1, 0, 0); // invalid gt pixel: ignored
    gt.push(0, 0, 0);
    return { pred, gt };
  };
  const odd = make([0, 10, 20, 45, 90]);
  const a = new NyuMetricAccumulator();
  a.addNormal(odd.pred, odd.gt);
  const r = a.result();
  close(t, r.normalMean, 165 / 5, 'mean', 1e-9);
  close(t, r.normalMedian, 20, 'median (odd count)', 1e-5);
  close(t, r.within11_25, 2 / 5, '< 11.25');
  close(t, r.within22_5, 3 / 5, '< 22.5');
  close(t, r.within30, 3 / 5, '< 30');
  t.equal(r.normalPixels, 5);

  const even = make([60, 0, 20, 10, 45, 90]);
  for (const median of ['exact', 'histogram'] as const) {
    const b = new NyuMetricAccumulator({ median });
    b.addNormal(even.pred.slice(0, 9), even.gt.slice(0, 9));
    b.addNormal(even.pred.slice(9), even.gt.slice(9));
    close(t, b.result().normalMedian, 32.5, `median (even count, ${median}) = mean of the middle two`, median === 'exact' ? 1e-5 : 1e-3);
    close(t, b.result().normalMean, 225 / 6, `mean (${median})`);
  }
  const opposite = new NyuMetricAccumulator();
  opposite.addNormal([0, 0, -3, 0, 0, 0], [0, 0, 1, 0, 1, 0]);
  close(t, opposite.result().normalMean, (180 + 90) / 2, 'opposite = 180°, zero prediction = 90°');
});

t.test('metric declarations for Δm%: nine metrics, LibMTL directions, per-task averaging', async (t) => {
  t.same(
    NYUV2_METRICS.map((d) => [d.task, d.name, d.higherIsBetter]),
    [
      ['segmentation', 'mIoU', true],
      ['segmentation', 'pixAcc', true],
      ['depth', 'absErr', false],
      ['depth', 'relErr', false],
      ['normal', 'normalMean', false],
      ['normal', 'normalMedian', false],
      ['normal', 'within11_25', true],
      ['normal', 'within22_5', true],
      ['normal', 'within30', true],
    ],
  );
  const base = { mIoU: 0.5, pixAcc: 0.5, absErr: 1, relErr: 1, normalMean: 20, normalMedian: 20, within11_25: 0.5, within22_5: 0.5, within30: 0.5 };
  const row = nyuMetricRow(base);
  t.same(row, [0.5, 0.5, 1, 1, 20, 20, 0.5, 0.5, 0.5]);
  // +10% on segmentation only: per-task average = (10% + 0 + 0)/3.
  const better = nyuMetricRow({ ...base, mIoU: 0.55, pixAcc: 0.55 });
  const dm = deltaMFromSpec(nyuDeltaMSpec(row), better);
  t.ok(Math.abs(dm - 10 / 3) < 1e-9, `Δm% = ${dm}`);
});

t.test('losses against hand values', async (t) => {
  const { tf } = await loadBackend();
  // Segmentation: pixel 0 has p(class 0) = 12/(12+12) = ½; pixel 1 ignored; pixel 2 uniform.
  const logits = new Float32Array(3 * 13);
  logits[0] = Math.log(12);
  const lab = tf.tensor3d([0, -1, 2], [1, 1, 3], 'int32');
  const z = tf.tensor4d(logits, [1, 1, 3, 13]);
  const seg = segmentationLoss(tf, z, lab);
  close(t, seg.dataSync()[0]!, (Math.log(2) + Math.log(13)) / 2, 'CE ignoring −1', 1e-5);
  const none = segmentationLoss(tf, z, tf.tensor3d([-1, -1, -1], [1, 1, 3], 'int32'));
  t.equal(none.dataSync()[0], 0, 'no labelled pixel → 0');

  const dep = depthLoss(tf, tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), tf.tensor4d([1.5, 0, 3, 2], [1, 2, 2, 1]));
  close(t, dep.dataSync()[0]!, 2.5 / 3, 'L1 over valid depth', 1e-6);

  const nor = normalLoss(tf, tf.tensor4d([2, 0, 0, 0, 3, 0, 1, 1, 0], [1, 1, 3, 3]), tf.tensor4d([1, 0, 0, 0, 0, 1, 0, 0, 0], [1, 1, 3, 3]));
  close(t, nor.dataSync()[0]!, 1 - (1 + 0) / 2, '1 − mean cosine over valid normals', 1e-6);

  // A 2×2 prediction is upsampled to the 3×3 target with align_corners: [[0,1,2],[2,3,4],[4,5,6]].
  const up = depthLoss(tf, tf.tensor4d([0, 2, 4, 6], [1, 2, 2, 1]), tf.fill([1, 3, 3, 1], 3));
  close(t, up.dataSync()[0]!, 14 / 9, 'upsampled (bilinear, align_corners) before the loss', 1e-6);

  const fn = nyuTaskLoss(tf);
  close(t, fn(1, tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), tf.tensor4d([1.5, 0, 3, 2], [1, 2, 2, 1])).dataSync()[0]!, 2.5 / 3, 'TaskLossFn order: 1 = depth', 1e-6);
  t.throws(() => fn(3, z, lab), /task index/);

  // Gradients exist and are finite (the tape flows through the masks and the normalisation).
  const g = tf.grad((p) => normalLoss(tf, p, tf.tensor4d([1, 0, 0, 0, 0, 1, 0, 0, 0], [1, 1, 3, 3])))(tf.tensor4d([2, 0, 0, 0, 3, 0, 1, 1, 0], [1, 1, 3, 3]));
  t.ok(Array.from(g.dataSync()).every(Number.isFinite), 'finite normal-loss gradient');
  // Each loss leaves exactly its scalar behind.
  const p4 = tf.tensor4d([0, 2, 4, 6], [1, 2, 2, 1]);
  const g4 = tf.fill([1, 3, 3, 1], 3);
  const n0 = tf.memory().numTensors;
  const l = depthLoss(tf, p4, g4);
  t.equal(tf.memory().numTensors, n0 + 1, 'no intermediate tensors leak');
  l.dispose();
});
