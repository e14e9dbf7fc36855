import t from 'tap';
import { registry, getMethod, findMethod } from '../../optimizers/index.js';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';
import type { StepInput } from '../../optimizers/types.js';

t.test('every registry entry is complete and its factory validates', async (t) => {
  const ids = new Set<string>();
  for (const def of registry) {
    t.match(def.id, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${def.id}: kebab-case id`);
    t.notOk(ids.has(def.id), `${def.id}: unique`);
    ids.add(def.id);
    t.ok(def.displayName.length > 0 && def.paper.title.length > 0 && def.paper.year > 1990, `${def.id}: display name and paper`);
    t.same(Object.keys(def.defaults).sort(), Object.keys(def.params).sort(), `${def.id}: a spec for every default`);
    const m = def.create(3);
    t.equal(m.kind, def.kind, `${def.id}: kind`);
    t.equal(m.nTasks, 3);
    t.throws(() => def.create(3, { notAParameter: 1 } as never), ConfigError, `${def.id}: unknown parameter rejected`);
    t.throws(() => def.create(0), ConfigError, `${def.id}: zero tasks rejected`);
    // State round-trips through JSON.
    const s = JSON.parse(JSON.stringify(m.getState()));
    t.doesNotThrow(() => m.setState(s), `${def.id}: state round-trips`);
    t.equal(getMethod(def.displayName), def);
    for (const r of def.referenceNames) t.equal(findMethod(r), def, `${def.id}: reference name ${r}`);
  }
});

t.test('a bad parameter value names the field and the expectation', async (t) => {
  const def = getMethod('aligned-mtl');
  t.throws(() => def.create(3, { rankEps: -1 }), { name: 'ConfigError', message: /aligned-mtl\.rankEps: got -1, expected a value > 0/ });
  t.throws(() => getMethod('nope'), { message: /optimizer: got "nope", expected one of/ });
});

t.test('wrong number of losses is a ShapeError', async (t) => {
  const m = getMethod('ew').create(3);
  const input: StepInput = { epoch: 0, losses: new Float64Array(2), lossHistory: [], rng: Rng.fromSeed(1) };
  if (m.kind !== 'loss-weighting') throw new Error('EW is loss weighting');
  t.throws(() => m.weigh(input), { name: 'ShapeError' });
});
