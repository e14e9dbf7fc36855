import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, type BackendChoice } from '../tf/backend.js';
import { applyOverrides } from '../run/overrides.js';
import { presetConfigs, presetDescription, presetNames } from '../run/presets.js';
import { ConfigError } from '../errors.js';
import { checkThreads, envThreads } from '../tf/wasm-threads.js';

interface Args {
  config?: string;
  preset?: string;
  optimizers?: string;
  seeds?: string;
  epochs?: number;
  'batch-size'?: number;
  mode?: string;
  db: string;
  jobs: number;
  shard?: string;
  backend: string;
  threads?: string;
  'data-dir'?: string;
  'data-path'?: string;
  name?: string;
  'list-presets': boolean;
  json: boolean;
  quiet?: boolean;
  verbose?: boolean;
  'crash-after-epochs'?: number;
}

export const runCommand: CommandModule<object, Args> = {
  command: 'run',
  describe: 'Run an experiment grid (tasks × optimizers × hyperparameters × seeds × noise) into an SQLite record; re-running resumes',
  builder: (y) =>
    y
      .option('config', { type: 'string', describe: 'experiment file (JSON or YAML)' })
      .option('preset', { type: 'string', describe: `experiment preset: ${presetNames().join(', ')}` })
      .option('optimizers', { type: 'string', describe: 'comma-separated methods (override), e.g. EW,CAGrad,EGA' })
      .option('seeds', { type: 'string', describe: 'comma-separated seeds (override), e.g. 0,1,2' })
      .option('epochs', { type: 'number', describe: 'epochs per run (override)' })
      .option('batch-size', { type: 'number', describe: 'batch size (override)' })
      .option('mode', { type: 'string', choices: ['param', 'rep'], describe: 'per-task gradients of the shared parameters or of the representation' })
      .option('db', { type: 'string', default: 'results.sqlite', describe: 'the SQLite record' })
      .option('jobs', { type: 'number', default: 1, describe: 'worker processes' })
      .option('shard', { type: 'string', describe: 'run slice K/N of the grid (cluster job arrays, CI matrices)' })
      .option('backend', { type: 'string', default: 'auto', choices: [...BACKEND_CHOICES], describe: 'TF.js backend' })
      .option('threads', { type: 'string', describe: 'threads of the wasm backend per process, 1-8 (default: MTL_BENCH_THREADS, else the cores divided by the processes started)' })
      .option('data-dir', { type: 'string', describe: 'cache directory for generated datasets (default: data)' })
      .option('data-path', { type: 'string', describe: 'a real dataset directory (imported radar-ECG, NYUv2 root)' })
      .option('name', { type: 'string', describe: 'experiment name (override)' })
      .option('list-presets', { type: 'boolean', default: false, describe: 'list the presets and exit' })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON summary on stdout (progress goes to stderr)' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'no progress, only the summary and errors' })
      .option('verbose', { alias: 'v', type: 'boolean', describe: 'a plain line per run start, epoch and run end (no bars), even on a terminal' })
      .conflicts('quiet', 'verbose')
      .option('crash-after-epochs', { type: 'number', hidden: true })
      .example('$0 run --preset ci --jobs 2', 'every optimizer on the CI-size radar-ECG task')
      .example('$0 run --preset table2-small --threads 2', 'one process, the wasm backend on two threads')
      .example('$0 run --config my-sweep.yaml --db sweep.sqlite', 'a grid from a file')
      .example('$0 run --preset table2-small --shard 1/4', 'the first quarter of a grid'),
  handler: async (args) => {
    if (args['list-presets']) {
      for (const p of presetNames()) console.log(`${p.padEnd(14)} ${presetDescription(p)}`);
      return;
    }
    if (!args.config && !args.preset) throw new ConfigError('run', 'nothing', '--config FILE or --preset NAME');
    if (args.config && args.preset) throw new ConfigError('run', '--config and --preset', 'only one of them');
    if (!(Number.isInteger(args.jobs) && args.jobs >= 1)) throw new ConfigError('--jobs', args.jobs, 'an integer >= 1');
    const threads = args.threads === undefined ? envThreads() : checkThreads(args.threads);
    // Imported here, not above: `mtl-bench run --help` stays fast.
    const { loadConfigFileWithPlugins, validateConfig } = await import('../run/config.js');
    const { runGrid } = await import('../run/orchestrate.js');
    const raws: Record<string, unknown>[] = args.config ? [JSON.parse(JSON.stringify(await loadConfigFileWithPlugins(args.config))) as Record<string, unknown>] : presetConfigs(args.preset!);
    // Validate every experiment before running any.
    const configs = applyOverrides(raws, args).map((raw) => validateConfig(raw, args.config ?? `preset ${args.preset}`));
    const res = { total: 0, completed: 0, errored: 0, skipped: 0, aborted: 0 };
    let interrupted = false;
    // --json keeps stdout for the summary; --quiet drops the progress; --verbose prints plain lines.
    const log = args.quiet ? () => {} : args.json ? (l: string) => console.error(l) : (l: string) => console.log(l);
    const experiments: { name: string; total: number; completed: number; errored: number; skipped: number; aborted: number }[] = [];
    for (const cfg of configs) {
      const r = await runGrid(cfg, {
        dbFile: args.db,
        jobs: args.jobs,
        ...(args.shard ? { shard: args.shard } : {}),
        backend: args.backend as BackendChoice,
        ...(threads !== undefined ? { threads } : {}),
        tty: Boolean(process.stdout.isTTY) && !args.quiet && !args.verbose && !args.json,
        log,
        ...(args['crash-after-epochs'] !== undefined ? { crashAfterEpochs: args['crash-after-epochs'] } : {}),
      });
      for (const k of ['total', 'completed', 'errored', 'skipped', 'aborted'] as const) res[k] += r[k];
      experiments.push({ name: cfg.name, total: r.total, completed: r.completed, errored: r.errored, skipped: r.skipped, aborted: r.aborted });
      if ((interrupted = r.interrupted)) break;
    }
    if (args.json) {
      console.log(JSON.stringify({ db: args.db, ...res, interrupted, ok: res.errored === 0 && !interrupted, experiments }, null, 2));
      if (interrupted) process.exitCode = 130;
      else if (res.errored) process.exitCode = 1;
      return;
    }
    console.log(`${res.completed} completed, ${res.errored} errored, ${res.skipped} skipped (already completed)${res.aborted ? `, ${res.aborted} aborted` : ''} of ${res.total} runs → ${args.db}`);
    if (interrupted) {
      console.log('Stopped; run the same command again to resume.');
      process.exitCode = 130;
    } else if (res.errored) process.exitCode = 1;
  },
};

export const workerCommand: CommandModule<object, { job: string }> = {
  command: '_worker <job>',
  describe: false,
  builder: (y) => y.positional('job', { type: 'string', demandOption: true }),
  handler: async (args) => (await import('../run/orchestrate.js')).workerMain(args.job),
};
