/**
 * The mtl-bench command line. Each command lives in its own module (src/commands/, reports/) and
 * is listed below with its name and one-line description; only the module of the command being
 * run is imported, so `--help` and light commands start without loading TF.js, vega or SQLite.
 * Errors of the MtlBenchError family print their message (naming the field or file) and exit 2.
 */
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { MtlBenchError } from './errors.js';

type Command = CommandModule<object, never>;

/** A command known by name and description; its module is imported only when it runs. */
export interface LazyCommand {
  readonly command: string;
  readonly describe: string | false;
  load(): Promise<Command>;
}

const lazy = (command: string, describe: string | false, load: () => Promise<unknown>): LazyCommand => ({ command, describe, load: load as () => Promise<Command> });

/** Every command, in help order. A plain CommandModule is accepted too (it is then loaded eagerly). */
export const commands: readonly (LazyCommand | Command)[] = [
  lazy('optimizers', 'List the registered multi-task optimizers', async () => (await import('./commands/optimizers.js')).optimizersCommand),
  lazy('replay <files..>', 'Replay recorded reference vectors (schema mtl-aggregator-oracle/1) through the registry and compare', async () => (await import('./commands/replay.js')).replayCommand),
  lazy('data <command>', 'Generate, import, inspect and transform datasets', async () => (await import('./commands/data.js')).dataCommand),
  lazy('run', 'Run an experiment grid (tasks × optimizers × hyperparameters × seeds × noise) into an SQLite record; re-running resumes', async () => (await import('./commands/run.js')).runCommand),
  lazy('_worker <job>', false, async () => (await import('./commands/run.js')).workerCommand),
  lazy('merge <sources..>', 'Combine SQLite records (e.g. of shards) into one; idempotent, conflicting duplicates are reported', async () => (await import('./commands/merge.js')).mergeCommand),
  lazy('backend', 'Report which TF.js backend loads here (tfjs-node-gpu, tfjs-node, wasm, cpu) and why the faster ones were skipped', async () => (await import('./commands/backend.js')).backendCommand),
  lazy('report <what>', 'Results of a record: `table` (Markdown, HTML, CSV, LaTeX) or a self-contained `html` report', async () => (await import('../reports/commands.js')).reportCommand),
  lazy('deltam', 'Δm% of hand-given rows against a baseline (JSON in, JSON {label: Δm%} out)', async () => (await import('../reports/commands.js')).deltamCommand),
  lazy('baseline', 'Freeze the per-label/condition/metric means, stds and n of a record (+ provenance) for `regress`', async () => (await import('../reports/commands.js')).baselineCommand),
  lazy('regress', 'Compare a record with a frozen baseline; exit 1 if a metric got worse beyond its tolerance or a row is missing', async () => (await import('../reports/commands.js')).regressCommand),
  lazy('model <model>', 'Show a model: layer table, parameter counts and FLOPs per sample', async () => (await import('./commands/model.js')).modelCommand),
  // CLI-INSERT (keep this marker: new commands go above it)
];

const isLazy = (c: LazyCommand | Command): c is LazyCommand => 'load' in c;
const nameOf = (command: string): string => command.split(' ')[0] as string;

export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName('mtl-bench')
    .usage('$0 <command> [options]\n\nBenchmark harness for multi-task-learning optimizers.')
    .strict()
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .option('plugin', { type: 'string', array: true, global: true, describe: 'load a method or task plugin module (.js, .mjs, .ts); repeatable' })
    .middleware(async (args) => {
      const files = (args.plugin as string[] | undefined) ?? [];
      if (files.length) await (await import('./plugins/load.js')).loadPlugins(files);
    })
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err, y) => {
      if (err) throw err;
      console.error(`${msg}\n\nRun 'mtl-bench --help' for usage.`);
      void y;
      process.exit(2);
    });
  const requested = argv.find((a) => !a.startsWith('-'));
  for (const c of commands) {
    if (!isLazy(c)) cli = cli.command(c);
    else if (nameOf(c.command) === requested) cli = cli.command(await c.load());
    else cli = cli.command({ command: c.command, describe: c.describe, handler: () => undefined } as CommandModule<object, object> as Command);
  }
  await cli.parseAsync();
}

// `mtl-bench … | head`: a closed pipe ends the output quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

try {
  await main(hideBin(process.argv));
} catch (e) {
  if (e instanceof MtlBenchError) {
    console.error(`mtl-bench: ${e.name}: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
