/**
 * The package as a user gets it: `npm pack` (which builds dist/), the tarball unpacked into an
 * empty project whose dependencies are the repository's installed ones (linked, so no download or
 * native compile; tsx deliberately absent: the installed CLI must not need it), then imported from
 * an .mjs file and from a .ts file checked by tsc, `mtl-bench run --preset regression-ci` run with
 * the installed bin, and a results table built from the record.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import t from 'tap';

// A build, a pack and a 46-run grid: more than the suite's default per file on a loaded machine.
t.setTimeout(900_000);
const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mtl-bench-pack-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const proj = join(dir, 'proj');
const nm = join(proj, 'node_modules');

const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true', MTL_BENCH_BUILT: '' } });

t.test('npm pack builds and packs only what a user needs', async (t) => {
  const r = run('npm', ['pack', '--json', '--pack-destination', dir], repo);
  t.equal(r.status, 0, r.stderr.slice(-2000));
  const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  const files = info[0]!.files.map((f) => f.path);
  t.ok(files.includes('dist/src/index.js') && files.includes('dist/src/index.d.ts'), 'built entry and its types');
  t.ok(files.includes('bin/mtl-bench.js') && files.includes('LICENSE') && files.includes('README.md'));
  t.ok(files.some((f) => /^reports\/paper\/.+\.json$/.test(f)), 'published tables (read at run time)');
  t.same(files.filter((f) => /^(src|tests|benchmarks|optimizers|datasets|reports\/[^p])|\.ts$/.test(f) && !f.endsWith('.d.ts')), [], 'no sources, tests or benchmarks');
  mkdirSync(join(nm, 'mtl-bench'), { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, info[0]!.filename), '-C', join(nm, 'mtl-bench'), '--strip-components=1']);
  const pkg = JSON.parse(readFileSync(join(nm, 'mtl-bench', 'package.json'), 'utf8')) as { dependencies: Record<string, string>; optionalDependencies?: Record<string, string> };
  for (const dep of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})]) {
    if (dep === 'tsx' || !existsSync(join(repo, 'node_modules', dep))) continue;
    mkdirSync(dirname(join(nm, dep)), { recursive: true });
    symlinkSync(join(repo, 'node_modules', dep), join(nm, dep), 'dir');
  }
  mkdirSync(join(nm, '.bin'));
  symlinkSync('../mtl-bench/bin/mtl-bench.js', join(nm, '.bin', 'mtl-bench'));
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module', dependencies: { 'mtl-bench': `file:${info[0]!.filename}` } }));
});

t.test('imported from an .mjs file', async (t) => {
  writeFileSync(
    join(proj, 'use.mjs'),
    `import { registry, validateConfig, expandGrid } from 'mtl-bench';
import { createMethod } from 'mtl-bench/optimizers';
import { gram, projectSimplex } from 'mtl-bench/math';
import { taskRegistry } from 'mtl-bench/tasks';
const m = createMethod('EW', 2).weigh({ epoch: 0, losses: Float64Array.of(1, 2), lossHistory: [], rng: null });
const cfg = validateConfig({ task: 'regression', preset: 'ci', optimizers: ['EW', { method: 'EGA', params: { T: [0.5, 1], warmupEpoch: 'auto' } }] });
console.log(JSON.stringify({ methods: registry.length, tasks: taskRegistry.map((t) => t.id), objective: m.objective, gram: gram([Float64Array.of(1, 2)])[0][0], simplex: Array.from(projectSimplex([2, 0])), runs: expandGrid(cfg).length }));
`,
  );
  const r = run(process.execPath, ['use.mjs'], proj);
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { methods: 20, tasks: ['radar-ecg', 'nyuv2', 'regression'], objective: 3, gram: 5, simplex: [1, 0], runs: 4 });
});

t.test('imported from a .ts file and type-checked with tsc', async (t) => {
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const good = `import { runExperiment, resultsTable, type ExperimentConfig } from 'mtl-bench';
import type { MethodDefinition, LossWeightingMethod } from 'mtl-bench/optimizers';
import type { TaskDefinition } from 'mtl-bench/tasks';
export const mine: MethodDefinition<{ p: number }> = {
  id: 'mine', displayName: 'Mine', kind: 'loss-weighting', paper: { title: 't', venue: 'v', year: 2026 },
  defaults: { p: 1 }, params: { p: { type: 'number', min: 0, description: 'exponent' } },
  capabilities: { stateful: false, stochastic: false, needsTaskGradients: false, paramMode: true, repMode: false, requiresRep: false, learnable: false, usesLossHistory: false, needsPostStepLosses: false },
  referenceNames: [],
  create: (n): LossWeightingMethod => { throw new Error(String(n)); },
};
export const run = (c: ExperimentConfig): Promise<number> => runExperiment(c, { db: 'x.sqlite' }).then((r) => r.completed);
export const table: string = resultsTable('x.sqlite', { format: 'csv' });
export type T = TaskDefinition['metrics'][number]['higherIsBetter'];
`;
  const cfg = (file: string) => JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: [file] });
  writeFileSync(join(proj, 'good.ts'), good);
  writeFileSync(join(proj, 'tsconfig.json'), cfg('good.ts'));
  const ok = run(process.execPath, [tsc, '-p', 'tsconfig.json'], proj);
  t.equal(ok.status, 0, ok.stdout + ok.stderr);
  // The types are real: a wrong field and a wrong option are errors.
  writeFileSync(join(proj, 'bad.ts'), `import type { MethodDefinition } from 'mtl-bench/optimizers';\nimport { resultsTable } from 'mtl-bench';\nexport const k: MethodDefinition['kind'] = 'other';\nexport const t: number = resultsTable('x', { format: 2 });\n`);
  writeFileSync(join(proj, 'tsconfig.json'), cfg('bad.ts'));
  const bad = run(process.execPath, [tsc, '-p', 'tsconfig.json'], proj);
  t.equal(bad.status, 2, 'tsc rejects bad.ts');
  t.match(bad.stdout, /bad\.ts\(4,/);
  t.match(bad.stdout, /bad\.ts\(3,/);
});

t.test('runExperiment with a plugin method, then resultsTable, from the installed package', async (t) => {
  writeFileSync(
    join(proj, 'half.mjs'),
    `export const half = { id: 'half', displayName: 'Half', kind: 'loss-weighting', defaults: {}, params: {}, referenceNames: [],
  capabilities: { stateful: false, stochastic: false, needsTaskGradients: false, paramMode: true, repMode: false, requiresRep: false, learnable: false, usesLossHistory: false, needsPostStepLosses: false },
  create: (n) => ({ id: 'half', kind: 'loss-weighting', label: 'Half', nTasks: n, weigh: ({ losses }) => ({ objective: losses.reduce((a, b) => a + b, 0) / 2, coefficients: losses.map(() => 0.5), weights: losses.map(() => 0.5) }),
    getState: () => ({}), setState() {}, learnable: () => null, setLearnable() {} }) };\n`,
  );
  writeFileSync(
    join(proj, 'lib.mjs'),
    `import { runExperiment, resultsTable } from 'mtl-bench';
const r = await runExperiment({ task: 'regression', preset: 'ci', optimizers: ['./half.mjs', 'EW'], singleTask: true, seeds: [0], epochs: 1, dataDir: 'data' }, { db: 'lib.sqlite', log: () => {} });
console.log(JSON.stringify({ completed: r.completed, plugins: r.config.plugins.map((p) => p.path) }));
console.log(resultsTable('lib.sqlite', { format: 'csv', published: false }));
`,
  );
  const r = run(process.execPath, ['lib.mjs'], proj);
  t.equal(r.status, 0, r.stderr.slice(-2000));
  const [head, ...csv] = r.stdout.trim().split('\n');
  t.same(JSON.parse(head!), { completed: 6, plugins: [join(proj, 'half.mjs')] });
  t.ok(csv.some((l) => l.includes(',Loss balancing methods,Half,loss-weighting,')), 'the plugin method has a row, as a loss-weighting method');
});

t.test('npx mtl-bench run --preset regression-ci, then a table from the record', async (t) => {
  const r = run('npx', ['--offline', '--no-install', 'mtl-bench', 'run', '--preset', 'regression-ci', '--jobs', '2', '--epochs', '2', '--db', 'r.sqlite', '--data-dir', 'data'], proj);
  t.equal(r.status, 0, r.stderr.slice(-3000));
  t.match(r.stdout, /48 completed, 0 errored, 0 skipped \(already completed\) of 48 runs/);
  writeFileSync(join(proj, 'table.mjs'), `import { resultsTable, openRecord } from 'mtl-bench';\nconsole.log(openRecord('r.sqlite').runs.length);\nconsole.log(resultsTable('r.sqlite', { format: 'csv' }));\n`);
  const tb = run(process.execPath, ['table.mjs'], proj);
  t.equal(tb.status, 0, tb.stderr);
  const [count, ...csv] = tb.stdout.trim().split('\n');
  t.equal(count, '48');
  for (const label of ['EW', 'EGA(T=1', 'UPGrad', 'Single-task baseline', 'Trivial: target mean']) t.ok(csv.some((l) => l.includes(label)), `table row ${label}`);
});
