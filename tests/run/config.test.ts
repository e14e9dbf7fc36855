import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { expandGrid, loadConfigFile, shardRuns, validateConfig } from '../../src/run/config.js';
import { presetConfigs, presetNames } from '../../src/run/presets.js';

const base = { task: 'regression', preset: 'ci', optimizers: ['EW'] };

t.test('bad configs are rejected before anything runs, naming the key', async (t) => {
  const cases: [object, RegExp][] = [
    [{ ...base, optimiser: ['EW'] }, /^optimiser: got \["EW"\], expected no such key/],
    [{ ...base, task: 'mnist' }, /^task: got "mnist", expected one of radar-ecg, nyuv2, regression/],
    [{ ...base, preset: 'huge' }, /^preset: got "huge", expected one of ci, small/],
    [{ ...base, optimizers: ['Nope'] }, /^optimizers\[0\]: got "Nope", expected one of/],
    [{ ...base, optimizers: [{ method: 'CAGrad', params: { c: -1 } }] }, /^optimizers\[0\]\.params\.c: got -1, expected a value >= 0/],
    [{ ...base, optimizers: [{ method: 'EGA', params: { T: [0.5, 0] } }] }, /^optimizers\[0\]\.params\.T\[1\]: got 0, expected a value > 0/],
    [{ ...base, optimizers: [{ method: 'EGA', params: { temperature: 1 } }] }, /^optimizers\[0\]\.params\.temperature: .*expected a parameter of EGA/],
    [{ ...base, optimizers: [{ method: 'EW', extra: 1 }] }, /^optimizers\[0\]\.extra: got 1, expected no such key/],
    [{ ...base, seeds: [0, 0] }, /^seeds: .*distinct seeds/],
    [{ ...base, seeds: [-1] }, /^seeds\[0\]: got -1, expected an integer/],
    [{ ...base, epochs: 0 }, /^epochs: got 0, expected an integer in \[1,/],
    [{ ...base, epochs: '3' }, /^epochs: got "3", expected an integer/],
    [{ ...base, mode: 'both' }, /^mode: got "both", expected "param" or "rep"/],
    [{ ...base, noise: { eval: ['snr-3dB'] } }, /^noise\.eval\[0\]: got "snr-3dB", expected a condition task regression supports/],
    [{ ...base, noise: { eval: [{ kind: 'snr' }] } }, /^noise\.eval\[0\]\.db: got nothing, expected a number of dB/],
    [{ ...base, training: { lr: -1 } }, /^training\.lr: got -1, expected a learning rate/],
    [{ ...base, selection: 'test' }, /^selection: got "test", expected "validation" or "test-reference"/],
    [{ ...base, optimizers: [] }, /^optimizers: .*at least one method/],
  ];
  for (const [cfg, re] of cases) t.throws(() => validateConfig(cfg), { name: 'ConfigError', message: re }, re.source);
});

t.test('YAML and JSON files; a bad file names the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mtl-cfg-'));
  writeFileSync(join(dir, 'a.yaml'), 'task: regression\npreset: ci\ntrivial: false\noptimizers:\n  - EW\n  - method: EGA\n    params: { T: [0.1, 0.5, 1.0, 1.5, 2.0], warmupEpoch: 1 }\nseeds: [0, 1]\n');
  const cfg = loadConfigFile(join(dir, 'a.yaml'));
  const runs = expandGrid(cfg);
  t.equal(runs.length, 2 * (1 + 5), 'EW + five EGA temperatures, two seeds');
  t.same(runs.filter((r) => r.method === 'ega' && r.seed === 0).map((r) => r.params.T), [0.1, 0.5, 1.0, 1.5, 2.0]);
  t.equal(new Set(runs.map((r) => r.key)).size, runs.length, 'distinct keys');
  writeFileSync(join(dir, 'b.json'), '{"task": "regression", "optimizers": ["EW"], "epochs": -2}');
  t.throws(() => loadConfigFile(join(dir, 'b.json')), { name: 'DataError', message: /b\.json: epochs: got -2/ });
  writeFileSync(join(dir, 'c.json'), '{"task": ');
  t.throws(() => loadConfigFile(join(dir, 'c.json')), { name: 'DataError', message: /c\.json: not valid JSON/ });
});

t.test('keys are stable and shards partition the grid', async (t) => {
  const cfg = validateConfig({ ...base, optimizers: ['EW', 'UW', 'MoCo', { method: 'EGA', params: { T: [0.5, 1], warmupEpoch: 1 } }], singleTask: true, seeds: [0, 1, 2] });
  const runs = expandGrid(cfg);
  t.same(expandGrid(cfg).map((r) => r.key), runs.map((r) => r.key), 'deterministic keys');
  t.equal(runs.length, 3 * (1 + 3 + 5));
  const shards = [1, 2, 3, 4].map((k) => shardRuns(runs, `${k}/4`));
  const all = shards.flat().map((r) => r.key).sort();
  t.same(all, runs.map((r) => r.key).sort(), 'the shards cover the grid exactly once');
  t.ok(shards.every((s) => Math.abs(s.length - runs.length / 4) <= 1), 'balanced');
  t.throws(() => shardRuns(runs, '5/4'), { message: /shard: got "5\/4", expected K\/N/ });
  t.throws(() => shardRuns(runs, '0/4'), { message: /shard/ });
});

t.test('warm-ups must end before the run does, naming the parameter; presets size them to the run', async (t) => {
  const cfg = (params: Record<string, unknown>, epochs: number) => validateConfig({ task: 'regression', preset: 'ci', epochs, optimizers: [{ method: 'EGA', params }, { method: 'STCH', params: { warmupEpoch: 1 } }] });
  t.throws(() => expandGrid(cfg({}, 4)), { name: 'ConfigError', message: /^optimizers\[0\]\.params\.warmupEpoch \(default\): got 4, expected a warm-up that ends before the run/ });
  t.throws(() => expandGrid(cfg({ warmupEpoch: 3 }, 4)), { name: 'ConfigError', message: /^optimizers\[0\]\.params\.warmupEpoch: got 3/ });
  t.throws(() => expandGrid(cfg({ T: [0.5, 1], warmupEpoch: [1, 2] }, 3)), { name: 'ConfigError', message: /^optimizers\[0\]\.params\.warmupEpoch\[1\]: got 2/ });
  t.throws(() => expandGrid(cfg({ warmupEpoch: 0 }, 2)), { name: 'ConfigError', message: /^optimizers\[1\]\.params\.warmupEpoch: got 1/ }, 'STCH too');
  t.equal(expandGrid(cfg({ warmupEpoch: 2 }, 4)).filter((r) => r.method === 'ega').length, 1);
  for (const preset of presetNames()) {
    for (const epochs of [undefined, 3, 12, 200]) {
      for (const raw of presetConfigs(preset)) {
        const runs = expandGrid(validateConfig(epochs === undefined ? raw : { ...raw, epochs }));
        for (const r of runs) {
          if (typeof r.params.warmupEpoch !== 'number') continue;
          t.ok((r.params.warmupEpoch + 1) * 4 <= Math.max(4, r.epochs) || r.params.warmupEpoch === 0, `${preset} ${r.label}: warm-up ${r.params.warmupEpoch} of ${r.epochs} epochs`);
        }
      }
    }
  }
});

t.test('trivial rows and a non-default evaluation protocol are part of the grid', async (t) => {
  const runs = expandGrid(validateConfig({ task: 'radar-ecg', preset: 'ci', optimizers: ['EW'], seeds: [0, 1] }));
  t.same(runs.filter((r) => r.method === 'trivial').map((r) => `${r.label}/${r.seed}`), ['Trivial: training mean/0', 'Trivial: prior class/0', 'Trivial: training mean/1', 'Trivial: prior class/1']);
  t.equal(expandGrid(validateConfig({ task: 'radar-ecg', preset: 'ci', optimizers: ['EW'], trivial: false })).length, 1);
  const ref = expandGrid(validateConfig({ task: 'radar-ecg', preset: 'ci', optimizers: ['EW'], evaluation: 'reference-rpeak' }));
  t.same(ref.map((r) => r.label), ['Trivial: training mean [reference-rpeak eval]', 'Trivial: prior class [reference-rpeak eval]', 'EW [reference-rpeak eval]']);
  t.ok(ref.every((r) => r.evaluation === 'reference-rpeak'));
  t.same(expandGrid(validateConfig({ task: 'radar-ecg', preset: 'ci', optimizers: ['EW'], evaluation: 'leak-free' })).map((r) => r.key), expandGrid(validateConfig({ task: 'radar-ecg', preset: 'ci', optimizers: ['EW'] })).map((r) => r.key), 'the default protocol named explicitly is the same grid');
  t.throws(() => validateConfig({ task: 'radar-ecg', optimizers: ['EW'], evaluation: 'peek' }), { name: 'ConfigError', message: /^evaluation: got "peek", expected one of leak-free, reference-rpeak/ });
  t.throws(() => validateConfig({ task: 'regression', optimizers: ['EW'], evaluation: 'x' }), { name: 'ConfigError', message: /^evaluation: .*no evaluation option/ });
});
