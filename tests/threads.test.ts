/**
 * `--threads N`, the wasm backend on several threads in Node (src/tf/wasm-threads.ts), in real
 * processes: the threaded backend computes what the single-threaded one does (layers and the
 * CI-size radar-ECG model, forward and backward); runs on 2 threads, in-process and in --jobs
 * workers, exit on their own, record their thread count and leave nothing in TMPDIR; every bad
 * value is refused with exit code 2 and one line before anything is written.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { defaultThreads } from '../src/tf/wasm-threads.js';

// Real processes on a possibly busy machine: no time limit short of a hang.
t.setTimeout(900_000);
const repo = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(repo, 'bin', 'mtl-bench.js');
const dir = mkdtempSync(join(tmpdir(), 'mtl-threads-'));

/** Run a command to its end (no time limit on a loaded machine, but a hang fails the test after 10 minutes). */
function finish(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string; hung: boolean }> {
  return new Promise((resolve) => {
    const childEnv = { ...process.env, ...env };
    // The default rule is under test: tests/run-tap.sh sets MTL_BENCH_THREADS=1 for the rest of the suite.
    if (!('MTL_BENCH_THREADS' in env)) delete childEnv.MTL_BENCH_THREADS;
    const child = spawn(process.execPath, args, { cwd: repo, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, 600_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, hung });
    });
  });
}

/** Files a run left in its TMPDIR, besides tsx's compile cache. */
const leftovers = (tmp: string): string[] => readdirSync(tmp).filter((f) => !f.startsWith('tsx-'));

const threadsOf = (db: string): (number | null)[] => {
  const d = new Database(db, { readonly: true });
  const r = d.prepare('SELECT threads FROM runs ORDER BY id').all() as { threads: number | null }[];
  d.close();
  return r.map((x) => x.threads);
};

t.test('2 threads compute what 1 thread does: layers and the CI-size model, forward and backward', async (t) => {
  const helper = join(repo, 'tests', 'helpers', 'threads-numerics.ts');
  const got: Record<number, { threads: number; results: Record<string, number[]> }> = {};
  for (const n of [1, 2]) {
    const file = join(dir, `numerics-${n}.json`);
    const r = await finish(['--import', 'tsx', helper, String(n), file]);
    t.equal(r.code, 0, `the ${n}-thread child exits with 0${r.err ? `: ${r.err.slice(-300)}` : ''}`);
    got[n] = JSON.parse(readFileSync(file, 'utf8')) as { threads: number; results: Record<string, number[]> };
    t.equal(got[n]!.threads, n, `the child ran the wasm backend on ${n} thread(s)`);
  }
  const [one, two] = [got[1]!.results, got[2]!.results];
  t.same(Object.keys(two), Object.keys(one), 'the same results');
  t.ok(Object.keys(one).some((k) => k.startsWith('model/grad')) && Object.keys(one).some((k) => k.startsWith('conv2d/')), 'layers and model gradients are compared');
  let identical = 0;
  for (const [name, a] of Object.entries(one)) {
    const b = two[name]!;
    t.equal(b.length, a.length, `${name}: length`);
    // float32 tolerance relative to the tensor's scale: a different summation order moves the last bits only.
    const scale = Math.max(1e-6, ...a.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    if (!(worst <= 1e-5 * scale && a.every(Number.isFinite))) t.fail(`${name}: max difference ${worst} exceeds 1e-5 × ${scale}`);
    if (a.every((x, i) => x === b[i])) identical++;
  }
  t.pass(`${Object.keys(one).length} tensors agree to float32 tolerance`);
  t.comment(`${identical} of ${Object.keys(one).length} bit-identical`);
});

const runArgs = (db: string, data: string, extra: string[]) => [BIN, 'run', '--preset', 'regression-ci', '--optimizers', 'EW', '--seeds', '0', '--epochs', '2', '--data-dir', data, '--db', db, '--quiet', ...extra];

for (const [jobs, how] of [[1, ['--threads', '2']], [2, []]] as const) {
  const given = how.length ? '--threads 2' : 'MTL_BENCH_THREADS=2';
  t.test(`${given} --jobs ${jobs}: the run exits by itself, records 2 threads per run, leaves nothing in TMPDIR`, async (t) => {
    const tmp = join(dir, `tmp-${jobs}`);
    mkdirSync(tmp);
    const db = join(dir, `t2-j${jobs}.sqlite`);
    const r = await finish(runArgs(db, join(dir, 'data'), [...how, '--jobs', String(jobs)]), { TMPDIR: tmp, ...(how.length ? {} : { MTL_BENCH_THREADS: '2' }) });
    t.notOk(r.hung, 'exited without being killed');
    t.equal(r.code, 0, `exit code 0${r.code ? `: ${r.err.slice(-300)}` : ''}`);
    t.match(r.out, /5 completed, 0 errored/);
    t.same(threadsOf(db), [2, 2, 2, 2, 2], `every run recorded on 2 threads${jobs > 1 ? ' (in the worker processes)' : ''}`);
    t.same(leftovers(tmp), [], 'nothing left in TMPDIR');
  });
}

t.test('the default: the cores divided by the processes started', async (t) => {
  const cores = availableParallelism();
  t.equal(defaultThreads(1, 2), 2);
  t.equal(defaultThreads(2, 2), 1);
  t.equal(defaultThreads(3, 2), 1);
  t.equal(defaultThreads(2, 16), 8, 'at most 8, the wasm pool');
  t.equal(defaultThreads(4, 6), 1);
  for (const jobs of [1, 2]) {
    const db = join(dir, `default-j${jobs}.sqlite`);
    const r = await finish(runArgs(db, join(dir, 'data'), ['--jobs', String(jobs)]));
    t.equal(r.code, 0, `--jobs ${jobs}: exit code 0`);
    t.same(threadsOf(db), Array(5).fill(defaultThreads(jobs, cores)), `--jobs ${jobs} on ${cores} cores: ${defaultThreads(jobs, cores)} thread(s) per run`);
  }
});

t.test('a bad --threads value: exit code 2, one line naming it, nothing written', async (t) => {
  for (const bad of ['0', '-1', 'abc', '1.5', '9', '']) {
    const db = join(dir, `bad-${bad || 'empty'}.sqlite`);
    const cmds = [runArgs(db, join(dir, 'bad-data'), ['--threads', bad])];
    if (bad === '0' || bad === 'abc') cmds.push([BIN, 'backend', '--threads', bad]);
    for (const cmd of cmds) {
      const r = spawnSync(process.execPath, cmd, { cwd: repo, encoding: 'utf8' });
      t.equal(r.status, 2, `${cmd[1]} --threads ${JSON.stringify(bad)}: exit code 2`);
      t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      t.match(r.stderr, `--threads: got ${JSON.stringify(bad)}, expected an integer from 1 to 8`);
      t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    t.notOk(existsSync(db), 'no record created');
  }
  const db = join(dir, 'bad-env.sqlite');
  const r = spawnSync(process.execPath, runArgs(db, join(dir, 'bad-data'), []), { cwd: repo, encoding: 'utf8', env: { ...process.env, MTL_BENCH_THREADS: 'abc' } });
  t.equal(r.status, 2, 'MTL_BENCH_THREADS=abc: exit code 2');
  t.equal(r.stderr.trim(), 'mtl-bench: ConfigError: MTL_BENCH_THREADS: got "abc", expected an integer from 1 to 8 (threads of the wasm backend)');
  t.notOk(existsSync(db), 'no record created');
  t.notOk(existsSync(join(dir, 'bad-data')), 'no dataset generated');
});
