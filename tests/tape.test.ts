import t from 'tap';
import { loadBackend } from '../src/tf/backend.js';
import { RecordedForward } from '../src/tf/tape.js';

t.test('one recorded forward gives the same per-output gradients as tf.grads, repeatedly, without leaks', async (t) => {
  const { tf } = await loadBackend();
  const w1 = tf.variable(tf.randomNormal([4, 6], 0, 1, 'float32', 1));
  const w2 = tf.variable(tf.randomNormal([6, 2], 0, 1, 'float32', 2));
  const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3) as import('@tensorflow/tfjs').Tensor2D;
  const conv = tf.variable(tf.randomNormal([3, 1, 2], 0, 1, 'float32', 4));
  const forward = () => {

    const h = tf.relu(tf.matMul(x, w1 as never)) as import('@tensorflow/tfjs').Tensor2D;
    const out = tf.matMul(h, w2 as never);
    const c = tf.conv1d(tf.reshape(out, [1, 10, 1]) as import('@tensorflow/tfjs').Tensor3D, conv as never, 1, 'same');
    const l0 = tf.mean(tf.square(tf.slice(c, [0, 0, 0], [1, 7, 1])));
    const l1 = tf.sum(tf.sin(out));
    return { h, l0, l1 };
  };
  const before = tf.memory().numTensors;
  for (let rep = 0; rep < 3; rep++) {
    const rec = RecordedForward.record(tf, forward);
    const vars = [w1, w2, conv];
    const g0 = rec.backward(rec.outputs.l0, vars);
    const g1 = rec.backward(rec.outputs.l1, vars);
    const gh = rec.backward(rec.outputs.l1, [rec.outputs.h]);
    const ref0 = tf.variableGrads(() => forward().l0 as never, vars as never);
    const ref1 = tf.variableGrads(() => forward().l1 as never, [w1, w2] as never);
    for (const [k, v] of vars.entries()) {
      const [e0, e1] = tf.tidy(() => [
        tf.max(tf.abs(tf.sub(g0[k]!, ref0.grads[v.name]!))).dataSync()[0]!,
        tf.max(tf.abs(tf.sub(g1[k]!, ref1.grads[v.name] ?? tf.zerosLike(v)))).dataSync()[0]!,
      ]);
      t.ok(e0 < 1e-5 && e1 < 1e-5, `variable ${k}: errors ${e0}, ${e1}`);
    }
    // l1 does not depend on conv: zeros.
    t.equal(tf.tidy(() => tf.max(tf.abs(g1[2]!)).dataSync()[0]), 0);
    t.same(gh[0]!.shape, [5, 6]);
    tf.dispose([...g0, ...g1, ...gh, ref0.value, ref1.value, ...Object.values(ref0.grads), ...Object.values(ref1.grads)]);
    rec.dispose();
    t.throws(() => rec.backward(rec.outputs.l0, vars), /after dispose/);
  }
  t.equal(tf.memory().numTensors, before, 'no tensor leaks');
});
