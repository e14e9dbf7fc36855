import t from 'tap';
import { createUW, uwDefinition } from '../../optimizers/uw.js';
import { Rng } from '../../src/rng.js';
import { oracleInput, relErr, replayOracle, toF64, weighingErrors } from '../helpers/oracle.js';

const rng = Rng.fromSeed(0);

t.test('UW replays every LibMTL case of UW.json', async (t) => {
  replayOracle(t, 'UW', {
    fields: ['grad', 'returned', 'objective', 'loss_scale_grad'],
    create: (_c, file) => createUW(file.n),
    step: (m, s, c) => {
      m.setLearnable(toF64(s.inputs.loss_scale));
      const r = m.weigh(oracleInput(s, rng));
      return { ...weighingErrors(r, s, c.dtype), loss_scale_grad: relErr(r.learnableGrad ?? [], s.outputs.loss_scale_grad, s.inputs.G, c.dtype) };
    },
  });
});

t.test('UW starts at s = -0.5, and the learnable gradient is that of the objective', async (t) => {
  const m = createUW(3);
  t.same(Array.from(m.learnable() ?? []), [-0.5, -0.5, -0.5]);
  t.equal(m.label, 'UW');
  t.equal(uwDefinition.capabilities.learnable, true);
  m.setLearnable([0.3, -1.2, 2]);
  const losses = Float64Array.of(0.7, 3, 1e5);
  const r = m.weigh({ epoch: 0, losses, lossHistory: [], rng });
  // Finite differences of the objective in s and in L.
  const h = 1e-6;
  for (let i = 0; i < 3; i++) {
    const s = m.learnable() as Float64Array;
    const sp = Float64Array.from(s);
    sp[i] = (sp[i] as number) + h;
    const mp = createUW(3);
    mp.setLearnable(sp);
    const up = mp.weigh({ epoch: 0, losses, lossHistory: [], rng }).objective;
    const fd = (up - r.objective) / h;
    t.ok(Math.abs(fd - (r.learnableGrad?.[i] as number)) <= 1e-4 * Math.max(1, Math.abs(fd)), `d/ds_${i}`);
    const lp = Float64Array.from(losses);
    lp[i] = (lp[i] as number) + 1e-3;
    const fdL = (m.weigh({ epoch: 0, losses: lp, lossHistory: [], rng }).objective - r.objective) / 1e-3;
    t.ok(Math.abs(fdL - (r.coefficients[i] as number)) <= 1e-6, `d/dL_${i}`);
  }
});

t.test('UW state round-trips through JSON and rejects non-finite log-scales', async (t) => {
  const m = createUW(2);
  m.setLearnable([0.25, -3]);
  const copy = createUW(2);
  copy.setState(JSON.parse(JSON.stringify(m.getState())));
  const input = { epoch: 0, losses: Float64Array.of(1, 2), lossHistory: [], rng };
  t.same(copy.weigh(input), m.weigh(input));
  t.same(m.referenceState?.(), { loss_scale: [0.25, -3] });
  t.throws(() => m.setLearnable([NaN, 0]), { name: 'ConfigError' });
  t.throws(() => m.setLearnable([0]), { name: 'ConfigError' });
});
