import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import { ConfigError, MtlBenchError } from '../errors.js';
import { expandGrid, loadConfigFile, validateConfig } from '../run/config.js';
import { applyOverrides } from '../run/overrides.js';
import { presetConfigs, presetNames } from '../run/presets.js';
import { slurmScripts, validateSlurmOptions, type SlurmOptions } from '../run/slurm.js';
import { BACKEND_CHOICES } from '../tf/backend.js';
import { checkThreads } from '../tf/wasm-threads.js';

interface Args {
  config?: string;
  preset?: string;
  optimizers?: string;
  seeds?: string;
  epochs?: number;
  'batch-size'?: number;
  mode?: string;
  backend?: string;
  threads?: string;
  'data-dir'?: string;
  'data-path'?: string;
  name?: string;
  shards: number;
  dir: string;
  'cpus-per-task': number;
  jobs?: number;
  mem?: string;
  gpus: number;
  time?: string;
  partition?: string;
  account?: string;
  'max-running'?: number;
  'job-name'?: string;
  force: boolean;
  submit: boolean;
}

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const FILES = ['shards.sbatch', 'merge.sbatch', 'submit.sh'] as const;

/** The experiments as `run` would build them, validated; returns their total number of runs. */
function countRuns(args: Args): number {
  if (!args.config && !args.preset) throw new ConfigError('slurm', 'nothing', '--config FILE or --preset NAME');
  if (args.config && args.preset) throw new ConfigError('slurm', '--config and --preset', 'only one of them');
  const raws = args.config ? [JSON.parse(JSON.stringify(loadConfigFile(args.config))) as Record<string, unknown>] : presetConfigs(args.preset!);
  return applyOverrides(raws, args).reduce((n, raw) => n + expandGrid(validateConfig(raw, args.config ?? `preset ${args.preset}`)).length, 0);
}

export const slurmCommand: CommandModule<object, Args> = {
  command: 'slurm',
  describe: 'Write Slurm scripts for an experiment: a job array with one task per shard, and a merge job that combines the shards and renders the report',
  builder: (y) =>
    y
      .option('config', { type: 'string', describe: 'experiment file (JSON or YAML); copied into --dir' })
      .option('preset', { type: 'string', describe: `experiment preset: ${presetNames().join(', ')}` })
      .option('optimizers', { type: 'string', describe: 'comma-separated methods (override)' })
      .option('seeds', { type: 'string', describe: 'comma-separated seeds (override)' })
      .option('epochs', { type: 'number', describe: 'epochs per run (override)' })
      .option('batch-size', { type: 'number', describe: 'batch size (override)' })
      .option('mode', { type: 'string', choices: ['param', 'rep'], describe: 'gradient mode (override)' })
      .option('backend', { type: 'string', choices: [...BACKEND_CHOICES], describe: 'TF.js backend of the shard tasks (default: auto)' })
      .option('threads', { type: 'string', describe: 'threads of the wasm backend per worker process (default: the CPUs divided by the processes)' })
      .option('data-dir', { type: 'string', describe: 'cache for generated datasets (default: DIR/data)' })
      .option('data-path', { type: 'string', describe: 'a real dataset directory on shared storage' })
      .option('name', { type: 'string', describe: 'experiment name (override)' })
      .option('shards', { type: 'number', demandOption: true, describe: 'number of shards (array tasks)' })
      .option('dir', { type: 'string', demandOption: true, describe: 'shared directory for the scripts, shard records, checkpoints, logs and the merged record' })
      .option('cpus-per-task', { type: 'number', default: 1, describe: 'CPUs per array task' })
      .option('jobs', { type: 'number', describe: 'worker processes per task (default: --cpus-per-task, or 1 with GPUs)' })
      .option('mem', { type: 'string', describe: 'memory per task, e.g. 4G' })
      .option('gpus', { type: 'number', default: 0, describe: 'GPUs per task (--gres=gpu:N)' })
      .option('time', { type: 'string', describe: 'time limit per task, e.g. 2:00:00 or 1-00:00:00' })
      .option('partition', { type: 'string', describe: 'Slurm partition' })
      .option('account', { type: 'string', describe: 'Slurm account' })
      .option('max-running', { type: 'number', describe: 'at most this many array tasks at once (%M)' })
      .option('job-name', { type: 'string', describe: 'job name (default: mtl-bench-<experiment>)' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite scripts already in DIR' })
      .option('submit', { type: 'boolean', default: false, describe: 'submit with sbatch and print the job ids' })
      .example('$0 slurm --preset table2 --shards 32 --dir /scratch/t2 --gpus 1 --mem 16G --time 1-00:00:00 --submit', 'Table II on 32 GPU tasks')
      .example('$0 slurm --preset regression-ci --shards 4 --dir runs/reg', 'write the scripts only'),
  handler: (args) => {
    const dir = resolve(args.dir);
    const total = countRuns(args);
    const runArgs: string[] = [];
    let configCopy: string | undefined;
    if (args.config) {
      configCopy = join(dir, `experiment${extname(args.config) || '.yaml'}`);
      runArgs.push('--config', configCopy);
    } else runArgs.push('--preset', args.preset!);
    if (args.optimizers) runArgs.push('--optimizers', args.optimizers);
    if (args.seeds) runArgs.push('--seeds', args.seeds);
    if (args.epochs !== undefined) runArgs.push('--epochs', String(args.epochs));
    if (args['batch-size'] !== undefined) runArgs.push('--batch-size', String(args['batch-size']));
    if (args.mode) runArgs.push('--mode', args.mode);
    if (args.backend) runArgs.push('--backend', args.backend);
    if (args.threads !== undefined) runArgs.push('--threads', String(checkThreads(args.threads)));
    if (args.name) runArgs.push('--name', args.name);
    runArgs.push('--data-dir', args['data-dir'] ? resolve(args['data-dir']) : join(dir, 'data'));
    if (args['data-path']) runArgs.push('--data-path', resolve(args['data-path']));
    const opts: SlurmOptions = {
      dir,
      shards: args.shards,
      runArgs,
      node: process.execPath,
      bin: BIN,
      jobName: args['job-name'] ?? `mtl-bench-${(args.name ?? args.preset ?? basename(args.config!, extname(args.config!))).replace(/[^A-Za-z0-9_.+-]/g, '-')}`,
      cpusPerTask: args['cpus-per-task'],
      jobs: args.jobs ?? (args.gpus > 0 ? 1 : args['cpus-per-task']),
      gpus: args.gpus,
      ...(args.mem !== undefined ? { mem: args.mem } : {}),
      ...(args.time !== undefined ? { time: args.time } : {}),
      ...(args.partition !== undefined ? { partition: args.partition } : {}),
      ...(args.account !== undefined ? { account: args.account } : {}),
      ...(args['max-running'] !== undefined ? { maxRunning: args['max-running'] } : {}),
    };
    validateSlurmOptions(opts);
    if (args.shards > total) throw new ConfigError('--shards', args.shards, `at most ${total} (the experiment's number of runs)`);
    const taken = FILES.filter((f) => existsSync(join(dir, f)));
    if (taken.length && !args.force) throw new MtlBenchError(`${join(dir, taken[0]!)} already exists; pass --force to overwrite the scripts (records in ${dir} are kept)`);
    const scripts = slurmScripts(opts);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    if (configCopy) copyFileSync(args.config!, configCopy);
    writeFileSync(join(dir, 'shards.sbatch'), scripts.shards);
    writeFileSync(join(dir, 'merge.sbatch'), scripts.merge);
    writeFileSync(join(dir, 'submit.sh'), scripts.submit);
    chmodSync(join(dir, 'submit.sh'), 0o755);
    console.log(`${total} runs in ${args.shards} shards → ${join(dir, 'shards.sbatch')}, ${join(dir, 'merge.sbatch')}; submit with: bash ${join(dir, 'submit.sh')}`);
    if (!args.submit) return;
    const r = spawnSync('bash', [join(dir, 'submit.sh')], { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new MtlBenchError(`submitting failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    process.stdout.write(r.stdout);
  },
};
