/**
 * The mtl-bench command line. Each command lives in src/commands/ and is registered below.
 * Errors of the MtlBenchError family print their message (naming the field or file) and exit 2;
 * any other error prints one line and exits 1 (MTL_BENCH_DEBUG=1 shows the stack).
 */
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { MtlBenchError } from './errors.js';
import { optimizersCommand } from './commands/optimizers.js';
import { replayCommand } from './commands/replay.js';
import { dataCommand } from './commands/data.js';
import { modelCommand } from './commands/model.js';
import { runCommand, workerCommand } from './commands/run.js';
import { mergeCommand } from './commands/merge.js';
import { reportCommands } from '../reports/commands.js';
import { backendCommand } from './commands/backend.js';
import { slurmCommand } from './commands/slurm.js';

const commands: CommandModule<object, never>[] = [
  optimizersCommand as CommandModule<object, never>,
  replayCommand as CommandModule<object, never>,
  dataCommand as CommandModule<object, never>,
  runCommand as CommandModule<object, never>,
  workerCommand as CommandModule<object, never>,
  mergeCommand as CommandModule<object, never>,
  backendCommand as CommandModule<object, never>,
  ...reportCommands,
  modelCommand as CommandModule<object, never>,
  slurmCommand as CommandModule<object, never>,
  // CLI-INSERT (keep this marker: new commands go above it)
];

export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName('mtl-bench')
    .usage('$0 <command> [options]\n\nBenchmark harness for multi-task-learning optimizers.')
    .strict()
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err, y) => {
      if (err) throw err;
      console.error(`${msg}\n\nRun 'mtl-bench --help' for usage.`);
      void y;
      process.exit(2);
    });
  for (const c of commands) cli = cli.command(c);
  await cli.parseAsync();
}

try {
  await main(hideBin(process.argv));
} catch (e) {
  if (e instanceof MtlBenchError) {
    console.error(`mtl-bench: ${e.name}: ${e.message.replace(/\s*\n\s*/g, '; ')}`);
    process.exit(2);
  }
  // Anything else is a bug or an environment failure: one line (no stack, no library source)
  // unless MTL_BENCH_DEBUG is set.
  if (process.env.MTL_BENCH_DEBUG) throw e;
  const err = e as { name?: unknown; message?: unknown; code?: unknown };
  const what = typeof err.name === 'string' ? err.name : 'Error';
  const code = typeof err.code === 'string' ? ` [${err.code}]` : '';
  console.error(`mtl-bench: internal ${what}${code}: ${oneLine(String(err.message ?? e))} (set MTL_BENCH_DEBUG=1 for the stack)`);
  process.exit(1);
}

/** The first line of a message, at most 400 characters. */
function oneLine(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  return first.length > 400 ? `${first.slice(0, 397)}...` : first;
}
