/**
 * The mtl-bench command line. Each command lives in src/commands/ and is registered below.
 * Errors of the MtlBenchError family print their message (naming the field or file) and exit 2.
 */
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { MtlBenchError } from './errors.js';
import { joinDashValues } from './argv.js';
import { closest } from './suggest.js';
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

/** Add "did you mean --x?" to yargs' unknown-argument message. */
function withSuggestions(msg: string, known: readonly string[]): string {
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!m) return msg;
  const hints = m[1]!.split(', ').flatMap((u) => {
    const c = closest(u.replace(/^-+/, ''), known.filter((k) => k.length > 1));
    return c ? [`--${u.replace(/^-+/, '')}: did you mean --${c}?`] : [];
  });
  return hints.length ? `${msg}\n${hints.join('\n')}` : msg;
}

export async function main(argv: string[]): Promise<void> {
  let cli = yargs(joinDashValues(argv))
    .scriptName('mtl-bench')
    .usage('$0 <command> [options]\n\nBenchmark harness for multi-task-learning optimizers.')
    .strict()
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err, y) => {
      if (err) throw err;
      // At failure time the instance holds the failing command's options.
      const opts = (cli as unknown as { getOptions?: () => { key?: Record<string, unknown> } }).getOptions?.();
      const known = Object.keys(opts?.key ?? {});
      void y;
      console.error(`${withSuggestions(msg, known)}\n\nRun 'mtl-bench <command> --help' for usage.`);
      process.exit(2);
    });
  for (const c of commands) cli = cli.command(c);
  await cli.parseAsync();
}

try {
  await main(hideBin(process.argv));
} catch (e) {
  if (e instanceof MtlBenchError) {
    console.error(`mtl-bench: ${e.name}: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
