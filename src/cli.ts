/**
 * The mtl-bench command line. Each command lives in src/commands/ and is registered below.
 * Errors of the MtlBenchError family print their message (naming the field or file) and exit 2.
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

/**
 * Anything else is one line on stderr (exit 1): some libraries (the TF.js wasm glue) rethrow
 * errors from their own handlers, and Node would then print their minified source. Set
 * MTL_BENCH_DEBUG=1 for the stack.
 */
function fatal(e: unknown): never {
  const err = e instanceof Error ? e : new Error(String(e));
  const line = err instanceof MtlBenchError ? `${err.name}: ${err.message}` : `internal error: ${err.message.split('\n')[0] ?? ''}`;
  console.error(`mtl-bench: ${line}`);
  if (process.env.MTL_BENCH_DEBUG) console.error(err.stack);
  process.exit(err instanceof MtlBenchError ? 2 : 1);
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

try {
  await main(hideBin(process.argv));
} catch (e) {
  if (e instanceof MtlBenchError) {
    console.error(`mtl-bench: ${e.name}: ${e.message}`);
    process.exit(2);
  }
  fatal(e);
}
