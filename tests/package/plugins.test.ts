/**
 * Plugins through the real CLI (child processes): every kind of broken module is refused with one
 * line naming it, exit 2 and no record created; a good method is listed, replayed against
 * reference vectors and recorded (path and sha256) by runs in worker processes; the example task
 * runs end to end from its config.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { loadPlugin } from '../../src/plugins/load.js';
import { oracleDir } from '../helpers/oracle.js';

// Child processes of the CLI, slow on a loaded machine: more than the suite's default per file.
t.setTimeout(900_000);

const repo = resolve(import.meta.dirname, '../..');
const bin = join(repo, 'bin', 'mtl-bench.js');
const dir = mkdtempSync(join(tmpdir(), 'mtl-bench-plugins-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

const caps = `{ stateful: false, stochastic: false, needsTaskGradients: false, paramMode: true, repMode: false, requiresRep: false, learnable: false, usesLossHistory: false, needsPostStepLosses: false }`;
const method = (over: string, weigh = 'return { objective: losses.reduce((a, b) => a + b, 0), coefficients: losses.map(() => 1), weights: losses.map(() => 1) };') =>
  `export const m = { id: 'sum-w', displayName: 'SumW', kind: 'loss-weighting', defaults: {}, params: {}, capabilities: ${caps}, referenceNames: [],
  create: (nTasks) => ({ id: 'sum-w', kind: 'loss-weighting', label: 'SumW', nTasks, weigh({ losses }) { ${weigh} },
    getState: () => ({}), setState() {}, learnable: () => null, setLearnable() {} }), ${over} };\n`;
const task = (over: string) =>
  `export const t = { id: 'mine', displayName: 'Mine', taskNames: ['a', 'b'], metrics: [{ task: 'a', name: 'acc', higherIsBetter: true }, { task: 'b', name: 'mse', higherIsBetter: false }],
  presets: [{ name: 'p', description: 'd', paperScale: false }], noiseKinds: ['clean'], prepareData() {}, createModel() {}, lossFn() {},
  training: () => ({ optimizer: { kind: 'sgd', lr: 0.1, momentum: 0, weightDecay: 0 }, schedule: { kind: 'constant' }, epochs: 1, batchSize: 4 }), ${over} };\n`;

const broken: [string, string, RegExp][] = [
  ['syntax.mjs', 'export const m = {;\n', /syntax error.*Unexpected token/],
  ['syntax.ts', 'export const m: number = ;\n', /syntax error|Expected|Unexpected/],
  ['throws.mjs', 'throw new Error("boom at import");\n', /failed to load: boom at import/],
  ['no-export.mjs', 'export const helper = 1;\n', /exports no method or task definition/],
  ['bad-type.mjs', method("params: { p: { type: 'float', description: 'x' } }, defaults: { p: 1 }"), /export m: params\.p\.type: got "float"/],
  ['bad-default.mjs', method("params: { p: { type: 'number', min: 0, description: 'x' } }, defaults: { p: -1 }"), /export m: defaults\.p: got -1, expected a value >= 0/],
  ['no-default.mjs', method("params: { p: { type: 'number', description: 'x' } }"), /export m: defaults\.p: missing/],
  ['bad-caps.mjs', method("capabilities: { stateful: 'no' }"), /export m: capabilities\.stateful: expected true or false/],
  ['bad-id.mjs', method("id: 'Sum W'"), /export m: id: got "Sum W", expected a kebab-case/],
  ['no-create.mjs', method('create: undefined'), /export m: create: expected a function/],
  ['clash.mjs', method("id: 'ew', displayName: 'EW2'"), /"ew", expected a name not taken by the built-in method EW/],
  ['nan.mjs', method('', 'return { objective: NaN, coefficients: losses.map(() => 1), weights: null };'), /export m: weigh\(\) returned objective NaN on the load-time probe/],
  ['nan-coef.mjs', method('', 'return { objective: 1, coefficients: losses.map((l, i) => (i === 2 ? NaN : 1)), weights: null };'), /export m: weigh\(\)\.coefficients\[2\] is NaN/],
  ['short.mjs', method('', 'return { objective: 1, coefficients: [1], weights: null };'), /export m: weigh\(\)\.coefficients: length 1, expected 3/],
  ['throws-step.mjs', method('', 'throw new Error("kaput");'), /export m: threw on the load-time probe .*: kaput/],
  ['nan-grad.mjs', method("kind: 'gradient-aggregation', capabilities: { ...(" + caps + "), needsTaskGradients: true }, create: (n) => ({ id: 'sum-w', kind: 'gradient-aggregation', label: 'S', nTasks: n, aggregate: (i, g) => ({ grad: g.G[0].map(() => NaN), coefficients: null, weights: null, headScale: null }), getState: () => ({}), setState() {}, learnable: () => null, setLearnable() {} })"), /export m: aggregate\(\)\.grad \(param mode\)\[0\] is NaN/],
  ['task-direction.mjs', task("metrics: [{ task: 'a', name: 'acc' }, { task: 'b', name: 'mse', higherIsBetter: false }]"), /export t: metrics\[0\]\.higherIsBetter: expected true or false/],
  ['task-metric.mjs', task("metrics: [{ task: 'a', name: 'acc', higherIsBetter: true }]"), /export t: metrics: task "b" has no metric/],
  ['task-training.mjs', task("training: () => ({ optimizer: {}, schedule: {}, epochs: 0, batchSize: 4 })"), /export t: training\("p"\)\.epochs: expected an integer >= 1/],
  ['missing.mjs', '', /cannot read: ENOENT/],
  ['plugin.json', '{}', /expected a \.js, \.mjs or \.ts module/],
];

t.test('every kind of broken plugin is refused, naming the module and the problem', async (t) => {
  for (const [file, text, re] of broken) {
    if (file !== 'missing.mjs') writeFileSync(join(dir, file), text);
    // TypeScript goes through tsx, which this test process's own loader gets in the way of: syntax.ts is checked by the CLI below.
    if (file.endsWith('.ts')) continue;
    await t.rejects(loadPlugin(file, dir), { name: 'PluginError', message: new RegExp(`^${file.replace('.', '\\.')}: ${re.source.startsWith('^') ? re.source.slice(1) : `.*${re.source}`}`) }, file);
  }
});

t.test('a broken plugin on the command line: one line naming the module, exit 2, nothing run or written', async (t) => {
  // Plugins load before any command runs; the CLI prints the PluginError above as its one line.
  for (const [file, args] of [['syntax.mjs', ['optimizers']], ['syntax.ts', ['run', '--preset', 'regression-ci', '--db', 'x.sqlite']], ['nan-grad.mjs', ['run', '--preset', 'regression-ci', '--db', 'x.sqlite']]] as const) {
    const r = cli([...args, '--plugin', file]);
    t.equal(r.status, 2, `${file}: exit 2`);
    t.match(r.stderr.trim(), new RegExp(`^mtl-bench: PluginError: ${file.replace('.', '\\.')}: [^\\n]+$`), `${file}: one line naming the module`);
    t.notMatch(r.stderr, /\n\s+at /, `${file}: no stack trace`);
    t.equal(r.stdout, '', `${file}: nothing printed or run`);
    t.notOk(existsSync(join(dir, 'x.sqlite')), 'no record created');
  }
  // The same from a config file naming the module as its method.
  writeFileSync(join(dir, 'cfg.yaml'), 'task: regression\noptimizers: [EW, { method: ./nan.mjs }]\n');
  const r = cli(['run', '--config', 'cfg.yaml', '--db', 'cfg.sqlite']);
  t.equal(r.status, 2);
  t.match(r.stderr.trim(), /^mtl-bench: PluginError: \.\/nan\.mjs: export m: weigh\(\) returned objective NaN[^\n]*$/);
  t.notOk(existsSync(join(dir, 'cfg.sqlite')));
});

t.test('a method plugin is listed, with its path and hash', async (t) => {
  const file = join(repo, 'examples', 'inv-loss.ts');
  const r = cli(['optimizers', '--json', '--plugin', file]);
  t.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { id: string; group: string; defaults: object; plugin?: { path: string; sha256: string } }[];
  t.equal(rows.length, 21);
  const mine = rows.find((x) => x.id === 'inv-loss');
  t.same(mine && { group: mine.group, defaults: mine.defaults, plugin: mine.plugin }, { group: 'plugin', defaults: { p: 1, eps: 1e-8 }, plugin: { path: file, sha256: sha(file) } });
});

t.test('a method plugin replays against reference vectors', async (t) => {
  // EW's recorded vectors under another name: a correct plugin passes, a wrong one fails.
  const doc = JSON.parse(readFileSync(join(oracleDir(), 'EW.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'SumW.json'), JSON.stringify({ ...doc, method: 'SumW', libmtl_class: 'SumW' }));
  writeFileSync(join(dir, 'sumw.mjs'), method(''));
  writeFileSync(join(dir, 'halfw.mjs'), method('', 'return { objective: 0.5 * losses.reduce((a, b) => a + b, 0), coefficients: losses.map(() => 0.5), weights: losses.map(() => 0.5) };'));
  const good = cli(['replay', 'SumW.json', '--plugin', 'sumw.mjs']);
  t.equal(good.status, 0, good.stdout + good.stderr);
  t.match(good.stdout, /^PASS\s+SumW\s+sum-w/m);
  const bad = cli(['replay', 'SumW.json', '--plugin', 'halfw.mjs']);
  t.equal(bad.status, 1);
  t.match(bad.stdout, /^FAIL\s+SumW/m);
});

t.test('the example task and method (a sweep over its parameter) in two worker processes, recorded with the modules', async (t) => {
  const cfg = join(repo, 'examples', 'rings.yaml');
  const args = ['run', '--config', cfg, '--jobs', '2', '--db', 'rings.sqlite', '--data-dir', 'data'];
  const r = cli(args);
  t.equal(r.status, 0, r.stderr.slice(-2000));
  t.match(r.stdout, /14 completed, 0 errored, 0 skipped \(already completed\) of 14 runs/);
  const db = new Database(join(dir, 'rings.sqlite'), { readonly: true });
  const runs = db.prepare('SELECT label, status, spec_json FROM runs').all() as { label: string; status: string; spec_json: string }[];
  const taskRef = { path: join(repo, 'examples', 'rings-task.ts'), sha256: sha(join(repo, 'examples', 'rings-task.ts')) };
  const methodRef = { path: join(repo, 'examples', 'inv-loss.ts'), sha256: sha(join(repo, 'examples', 'inv-loss.ts')) };
  for (const run of runs) {
    const spec = JSON.parse(run.spec_json) as { plugins?: unknown[]; task: string };
    t.equal(spec.task, 'rings');
    t.same(spec.plugins, run.label.startsWith('InvLoss') ? [taskRef, methodRef] : [taskRef], `${run.label}: its modules`);
  }
  t.same([...new Set(runs.map((x) => x.label))].sort(), ['CAGrad(c=0.2, rescale=1)', 'CAGrad(c=0.5, rescale=1)', 'EW', 'InvLoss(p=0.5)', 'InvLoss(p=1)', 'STL(angle)', 'STL(inside)']);
  const evals = db.prepare("SELECT count(*) AS n FROM evaluations WHERE metric IN ('acc', 'mse')").get() as { n: number };
  t.equal(evals.n, 28, 'both metrics of every run');
  db.close();
  const again = cli(args);
  t.match(again.stdout, /0 completed, 0 errored, 14 skipped/, 'same keys on a second invocation: resumed, nothing rerun');
  const table = cli(['report', 'table', '--db', 'rings.sqlite', '--plugin', join(repo, 'examples', 'rings-task.ts'), '--plugin', join(repo, 'examples', 'inv-loss.ts')]);
  t.equal(table.status, 0, table.stderr);
  t.match(table.stdout, /inside: acc ↑ \| angle: mse ↓ \| Δm% ↑/);
  t.match(table.stdout, /\*Loss balancing methods\*[^]*InvLoss\(p=1\)[^]*\*Gradient balancing methods\*/);
});
