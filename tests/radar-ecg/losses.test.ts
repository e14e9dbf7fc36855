import t from 'tap';
import { near } from '../helpers/near.js';
import { loadBackend } from '../../src/tf/backend.js';
import {
  anchorLoss,
  ppiClassFromPadded,
  ppiLoss,
  ppiSoftTarget,
  radarEcgLosses,
  radarEcgTaskLoss,
  shapeLoss,
} from '../../src/tasks/radar-ecg/losses.js';
import { ConfigError } from '../../src/errors.js';

const { tf } = await loadBackend();


/** Value of a scalar loss, disposing it. */
function value(s: ReturnType<typeof shapeLoss>): number {
  const v = s.dataSync()[0]!;
  s.dispose();
  return v;
}

t.test('shape loss: MSE against the per-sample min-max normalised truth', async (t) => {
  // Sample 1: truth [1, 3, 2] mV → [0, 1, 0.5]; prediction 0.5 everywhere: (0.25 + 0.25 + 0)/3.
  // Sample 2: truth [−2, −1, 0] → [0, 0.5, 1]; prediction [0, 0.5, 0.5]: (0 + 0 + 0.25)/3.
  const pred = tf.tensor3d([[[0.5, 0.5, 0.5]], [[0, 0.5, 0.5]]]);
  const truth = tf.tensor3d([[[1, 3, 2]], [[-2, -1, 0]]]);
  const before = tf.memory().numTensors;
  const loss = shapeLoss(pred, truth);
  t.equal(tf.memory().numTensors, before + 1, 'only the scalar is kept');
  t.ok(...near(value(loss), (0.5 / 3 + 0.25 / 3) / 2, 1e-7, 'batch mean'));
  // The prediction is not normalised: doubled, sample 1 is [1, 1, 1] against [0, 1, 0.5] and
  // sample 2 [0, 1, 1] against [0, 0.5, 1].
  t.ok(...near(value(shapeLoss(tf.mul(pred, 2), truth)), ((1 + 0 + 0.25) / 3 + (0 + 0.25 + 0) / 3) / 2, 1e-7, 'raw prediction'));
  t.throws(() => shapeLoss(pred, tf.tensor3d([[[1, 2]], [[3, 4]]])), { name: 'ShapeError', message: /expected shape \[2, 1, 3\], got \[2, 1, 2\]/ });
  tf.dispose([pred, truth]);
});

t.test('anchor loss: MSE against the normalised impulse train', async (t) => {
  const pred = tf.tensor2d([
    [0.1, 0.9, 0, 0.2],
    [0.3, 0, 0, 0],
  ]);
  // Row 1: binary target unchanged: (0.01 + 0.01 + 0 + 0.04)/4. Row 2: an all-zero target stays 0
  // (the reference would divide by zero): 0.09/4.
  const target = tf.tensor2d([
    [0, 1, 0, 0],
    [0, 0, 0, 0],
  ]);
  t.ok(...near(value(anchorLoss(pred, target)), (0.06 / 4 + 0.09 / 4) / 2, 1e-7, 'anchor MSE'));
  // A target of 2s and 0s normalises to the same binary train.
  t.ok(...near(value(anchorLoss(pred, tf.mul(target, 2))), (0.06 / 4 + 0.09 / 4) / 2, 1e-7, 'scale-free target'));
  tf.dispose([pred, target]);
});

t.test('PPI soft targets and cross-entropy by hand', async (t) => {
  // peakLogit k over C classes: q_true = e^k/(e^k + C − 1), q_other = 1/(e^k + C − 1).
  const q = ppiSoftTarget([2, 0], { numClasses: 4, peakLogit: 2 });
  const z = Math.exp(2) + 3;
  const got = Array.from(q.dataSync());
  const want = [1 / z, 1 / z, Math.exp(2) / z, 1 / z, Math.exp(2) / z, 1 / z, 1 / z, 1 / z];
  got.forEach((v, i) => t.ok(...near(v, want[i]!, 1e-7, `q[${i}]`)));
  // The reference's 1000 is one-hot in float32.
  const hard = ppiSoftTarget([159]);
  t.same(hard.shape, [1, 260]);
  const h = Array.from(hard.dataSync());
  t.equal(h[159], 1);
  t.equal(h.reduce((a, b) => a + b, 0), 1);

  // Logits [1, 2, 3], class 2: −log(e³/(e + e² + e³)) = log(1 + e⁻¹ + e⁻²).
  const logits = tf.tensor2d([[1, 2, 3]]);
  const oneHot = ppiSoftTarget([2], { numClasses: 3 });
  t.ok(...near(value(ppiLoss(logits, oneHot)), Math.log(1 + Math.exp(-1) + Math.exp(-2)), 1e-6, 'hard target'));
  // Soft target [0.25, 0.25, 0.5]: −Σ q log p with log p_c = c − log(e + e² + e³).
  const lse = Math.log(Math.E + Math.E ** 2 + Math.E ** 3);
  const soft = tf.tensor2d([[0.25, 0.25, 0.5]]);
  t.ok(...near(value(ppiLoss(logits, soft)), -(0.25 * (1 - lse) + 0.25 * (2 - lse) + 0.5 * (3 - lse)), 1e-6, 'soft target'));
  // B×1×C works like B×C.
  t.ok(...near(value(ppiLoss(tf.reshape(logits, [1, 1, 3]), tf.reshape(soft, [1, 1, 3]))), -(0.25 * (1 - lse) + 0.25 * (2 - lse) + 0.5 * (3 - lse)), 1e-6, 'B×1×C'));
  // Integer classes [B] are accepted directly.
  t.ok(...near(value(ppiLoss(logits, tf.tensor1d([2], 'int32'))), Math.log(1 + Math.exp(-1) + Math.exp(-2)), 1e-6, 'int32 classes'));
  t.throws(() => ppiLoss(logits, tf.tensor1d([2, 1], 'int32')), { name: 'ShapeError' });
  t.throws(() => ppiSoftTarget([260]), { name: 'ConfigError', message: /classes\[0\]: got 260/ });
  t.throws(() => ppiSoftTarget([1.5]), ConfigError);
  tf.dispose([q, hard, logits, oneHot, soft]);
});

t.test('padded PPI rows, the task dispatcher and its gradient', async (t) => {
  t.equal(ppiClassFromPadded([0.1, 0.2, 0.3, -10, -10]), 2, 'three samples → class 2');
  t.throws(() => ppiClassFromPadded([-10, -10]), ConfigError);
  t.same(Object.keys(radarEcgLosses), ['shape', 'ppi', 'anchor']);
  t.throws(() => radarEcgTaskLoss(3, tf.zeros([1, 2]), tf.zeros([1, 2])), { name: 'ConfigError', message: /radar-ecg task: got 3/ });
  // d/dpred mean((pred − y)²) = 2(pred − y)/n through the dispatcher (task 0 = shape).
  const pred = tf.variable(tf.tensor2d([[0.5, 0.5]]));
  const truth = tf.tensor2d([[0, 4]]);
  const { value: v, grads } = tf.variableGrads(() => radarEcgTaskLoss(0, pred, truth), [pred]);
  t.ok(...near(v.dataSync()[0]!, 0.25, 1e-7, 'loss'));
  const g = Array.from(grads[pred.name]!.dataSync());
  t.ok(...near(g[0]!, 0.5, 1e-7, 'grad 0'));
  t.ok(...near(g[1]!, -0.5, 1e-7, 'grad 1'));
  tf.dispose([pred, truth, v, grads[pred.name]!]);
});
