/**
 * `mtl-bench slurm` without a scheduler: every kind of bad input is an error naming the option
 * (one line and exit 2 on the command line) with nothing written; the scripts carry the requested resources and absolute paths, are valid bash,
 * and the shard script run by hand as array task 2 (from another directory) runs shard 2 of the grid.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { expandGrid, shardRuns, validateConfig } from '../../src/run/config.js';
import { presetConfigs } from '../../src/run/presets.js';
import { shellWord } from '../../src/run/slurm.js';
import { slurmCommand } from '../../src/commands/slurm.js';

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtl-slurm-scripts-'));
const experiment = ['--preset', 'regression-ci', '--optimizers', 'EW,PCGrad', '--seeds', '0', '--epochs', '1'];
const cli = (a: string[], cwd = dir) => spawnSync(process.execPath, [BIN, ...a], { encoding: 'utf8', cwd });

const base = { preset: 'regression-ci', optimizers: 'EW,PCGrad', seeds: '0', epochs: 1, 'cpus-per-task': 1, gpus: 0, force: false, submit: false };
const generate = (extra: Record<string, unknown>) => (slurmCommand.handler as (a: unknown) => void)({ ...base, ...extra });

t.test('bad input: an error naming the option and value, nothing written', async (t) => {
  const out = join(dir, 'bad');
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ shards: 0 }, /^--shards: got 0, expected an integer >= 1$/],
    [{ shards: 2.5 }, /^--shards: got 2\.5, expected an integer >= 1$/],
    [{ shards: NaN }, /^--shards: got "not a number", expected an integer >= 1$/],
    [{ shards: 7 }, /^--shards: got 7, expected at most 6 \(the experiment's number of runs\)$/],
    [{ shards: 2, mem: '4X' }, /^--mem: got "4X", expected a size such as 4G/],
    [{ shards: 2, mem: '0' }, /^--mem: got "0"/],
    [{ shards: 2, mem: '' }, /^--mem: got ""/],
    [{ shards: 2, mem: '-4G' }, /^--mem: got "-4G"/],
    [{ shards: 2, time: '1:2:3:4' }, /^--time: got "1:2:3:4", expected a Slurm time limit/],
    [{ shards: 2, time: '2h' }, /^--time: got "2h"/],
    [{ shards: 2, time: '' }, /^--time: got ""/],
    [{ shards: 2, 'cpus-per-task': 0 }, /^--cpus-per-task: got 0/],
    [{ shards: 2, gpus: -1 }, /^--gpus: got -1, expected an integer >= 0$/],
    [{ shards: 2, gpus: 1.5 }, /^--gpus: got 1\.5/],
    [{ shards: 2, 'max-running': 0 }, /^--max-running: got 0/],
    [{ shards: 2, jobs: 0 }, /^--jobs: got 0, expected an integer >= 1$/],
    [{ shards: 2, partition: 'gpu; rm -rf /' }, /^--partition: got "gpu; rm -rf \/", expected letters, digits/],
    [{ shards: 2, account: 'a b' }, /^--account: got "a b"/],
    [{ shards: 2, 'job-name': 'x$y' }, /^--job-name: got "x\$y"/],
    [{ shards: 2, epochs: 0 }, /epochs/],
    [{ shards: 2, preset: 'nope' }, /^--preset: got "nope", expected one of/],
    [{ shards: 2, dir: join(dir, "it's") }, /^--dir: got ".*it's", expected an absolute path without quotes/],
  ];
  for (const [extra, message] of cases) {
    t.throws(() => generate({ dir: out, ...extra }), { name: 'ConfigError', message }, JSON.stringify(extra));
    t.notOk(existsSync(out) || existsSync(join(dir, "it's")), `${JSON.stringify(extra)}: nothing written`);
  }
  // Through the command line: one line, exit 2, no stack trace.
  const r = cli(['slurm', ...experiment, '--shards', '2', '--dir', out, '--mem', '4X']);
  t.equal(r.status, 2);
  t.equal(r.stderr, 'mtl-bench: ConfigError: --mem: got "4X", expected a size such as 4G, 500M or 16000 (megabytes)\n');
  t.notOk(existsSync(out));
});

t.test('the scripts: resources, absolute paths, valid bash; existing scripts are kept unless --force', async (t) => {
  const out = join(dir, 'gen');
  const r = cli(['slurm', ...experiment, '--shards', '3', '--dir', out, '--mem', '16G', '--time', '1-00:00:00', '--gpus', '2', '--cpus-per-task', '4', '--partition', 'gpu', '--account', 'lab', '--max-running', '2']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /6 runs in 3 shards/);
  const shards = readFileSync(join(out, 'shards.sbatch'), 'utf8');
  for (const line of ['#SBATCH --array=1-3%2', '#SBATCH --cpus-per-task=4', '#SBATCH --gres=gpu:2', '#SBATCH --mem=16G', '#SBATCH --time=1-00:00:00', '#SBATCH --partition=gpu', '#SBATCH --account=lab', '#SBATCH --requeue', `#SBATCH --output=${out}/logs/shard-%a.log`]) {
    t.ok(shards.split('\n').includes(line), line);
  }
  t.ok(shards.includes(`NODE=${process.execPath}\n`), 'absolute node');
  t.ok(shards.includes(`MTL_BENCH=${BIN}\n`), 'absolute bin/mtl-bench.js');
  t.match(shards, /--jobs 1 --shard "\$K\/\$SHARDS" --db "\$DIR\/shard-\$K\.sqlite"/, 'one worker per task with GPUs');
  const merge = readFileSync(join(out, 'merge.sbatch'), 'utf8');
  t.match(merge, /merge "\$\{shards\[@\]\}" --into "\$DIR\/all\.sqlite"/);
  t.match(merge, /report html --db "\$DIR\/all\.sqlite" --out "\$DIR\/report\.html"/);
  t.notMatch(merge, /--gres/, 'the merge job asks for no GPU');
  const submit = readFileSync(join(out, 'submit.sh'), 'utf8');
  t.match(submit, /--dependency="\$dep"/);
  for (const f of ['shards.sbatch', 'merge.sbatch', 'submit.sh']) t.equal(spawnSync('bash', ['-n', join(out, f)]).status, 0, `${f} is valid bash`);
  const again = cli(['slurm', ...experiment, '--shards', '2', '--dir', out]);
  t.equal(again.status, 2);
  t.match(again.stderr, /shards\.sbatch already exists; pass --force/);
  t.equal(readFileSync(join(out, 'shards.sbatch'), 'utf8'), shards, 'the existing script is unchanged');
  t.equal(cli(['slurm', ...experiment, '--shards', '2', '--dir', out, '--force']).status, 0);
  t.match(readFileSync(join(out, 'shards.sbatch'), 'utf8'), /#SBATCH --array=1-2\n/);
});

t.test('a config file is copied into the directory and used from there', async (t) => {
  const out = join(dir, 'cfg');
  const file = join(dir, 'my sweep.yaml');
  writeFileSync(file, 'name: tiny\ntask: regression\npreset: ci\noptimizers: [EW]\nseeds: [0, 1]\nepochs: 1\n');
  const r = cli(['slurm', '--config', file, '--shards', '2', '--dir', out]);
  t.equal(r.status, 0, r.stderr);
  t.equal(readFileSync(join(out, 'experiment.yaml'), 'utf8'), readFileSync(file, 'utf8'));
  t.match(readFileSync(join(out, 'shards.sbatch'), 'utf8'), new RegExp(`run --config ${out}/experiment\\.yaml `));
  t.match(readFileSync(join(out, 'shards.sbatch'), 'utf8'), /#SBATCH --job-name=mtl-bench-my-sweep\n/);
});

t.test('the shard script run by hand as array task 2, from another directory, runs shard 2 into DIR/shard-2.sqlite', async (t) => {
  const out = join(dir, 'hand');
  t.equal(cli(['slurm', ...experiment, '--shards', '3', '--dir', out]).status, 0);
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  const r = spawnSync('bash', [join(out, 'shards.sbatch')], { cwd: elsewhere, encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '2' } });
  t.equal(r.status, 0, r.stderr);
  t.same(readdirSync(elsewhere), [], 'nothing written to the working directory');
  const d = new Database(join(out, 'shard-2.sqlite'), { readonly: true });
  const keys = (d.prepare("SELECT key FROM runs WHERE status = 'completed' ORDER BY key").all() as { key: string }[]).map((x) => x.key);
  d.close();
  const cfg = validateConfig({ ...presetConfigs('regression-ci')[0], optimizers: ['EW', 'PCGrad'], seeds: [0], epochs: 1 });
  t.same(keys, shardRuns(expandGrid(cfg), '2/3').map((x) => x.key).sort(), 'the runs of shard 2/3, completed');
    t.notOk(existsSync(join(out, 'shard-2.sqlite.checkpoints')), 'no checkpoint folder left beside the shard record once its runs completed');
});

t.test('shellWord quotes what bash would split or expand', async (t) => {
  for (const s of ['plain', 'a b', "it's", '$HOME', 'a;b', '`x`', '*', 'x"y', '']) {
    const r = spawnSync('bash', ['-c', `printf %s ${shellWord(s)}`], { encoding: 'utf8' });
    t.equal(r.stdout, s, JSON.stringify(s));
  }
});
