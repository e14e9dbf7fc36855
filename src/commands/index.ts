/**
 * Every command of the CLI, in help order, by name and one-line description (shown by `--help`
 * without importing anything); `load` imports the command's module when that command runs.
 * Add a command: its module in this folder, one line below (tests/package/startup.test.ts checks
 * that name and description match the module's, and that `--help` stays light).
 */
import type { CommandModule } from 'yargs';

type Command = CommandModule<object, never>;

/** A command known by name and description; its module is imported only when it runs. */
export interface LazyCommand {
  readonly command: string;
  readonly describe: string | false;
  load(): Promise<Command>;
}

export const lazy = (command: string, describe: string | false, load: () => Promise<unknown>): LazyCommand => ({ command, describe, load: load as () => Promise<Command> });

/** Every command, in help order. A plain CommandModule is accepted too (it is then loaded eagerly). */
export const commands: readonly (LazyCommand | Command)[] = [
  lazy('optimizers [id]', 'List the registered multi-task optimizers (one in detail: optimizers ID)', async () => (await import('./optimizers.js')).optimizersCommand),
  lazy('replay <files..>', 'Replay recorded reference vectors (schema mtl-aggregator-oracle/1) through the registry and compare', async () => (await import('./replay.js')).replayCommand),
  lazy('data <command>', 'Generate, import, inspect and transform datasets', async () => (await import('./data.js')).dataCommand),
  lazy('run', 'Run an experiment grid (tasks × optimizers × hyperparameters × seeds × noise) into an SQLite record; re-running resumes', async () => (await import('./run.js')).runCommand),
  lazy('_worker <job>', false, async () => (await import('./run.js')).workerCommand),
  lazy('merge <sources..>', 'Combine SQLite records (e.g. of shards) into one; idempotent, conflicting duplicates are reported', async () => (await import('./merge.js')).mergeCommand),
  lazy('backend', 'Report which TF.js backend loads here (tfjs-node-gpu, tfjs-node, wasm, cpu) and why the faster ones were skipped', async () => (await import('./backend.js')).backendCommand),
  lazy('report', 'Results of a record: `report table` (Markdown, HTML, CSV, LaTeX) or a self-contained `report html`', async () => (await import('../../reports/commands.js')).reportCommand),
  lazy('deltam', 'Δm% of hand-given rows against a baseline (JSON in, JSON {deltaM: {label: Δm%}, excluded, tasks} out)', async () => (await import('../../reports/commands.js')).deltamCommand),
  lazy('baseline', 'Freeze the per-label/condition/metric means, stds and n of a record (+ provenance) for `regress`', async () => (await import('../../reports/commands.js')).baselineCommand),
  lazy('regress', 'Compare a record with a frozen baseline; exit 1 if a metric got worse beyond its tolerance or a row is missing', async () => (await import('../../reports/commands.js')).regressCommand),
  lazy('model <model>', 'Show a model: layer table, parameter counts and FLOPs per sample', async () => (await import('./model.js')).modelCommand),
  lazy('slurm', 'Write Slurm scripts for an experiment: a job array with one task per shard, and a merge job that combines the shards and renders the report', async () => (await import('./slurm.js')).slurmCommand),
  // CLI-INSERT (keep this marker: new commands go above it)
];

