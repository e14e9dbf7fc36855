/**
 * The mtl-bench command line. Each command lives in its own module (src/commands/, reports/) and
 * is listed in src/commands/index.ts with its name and one-line description; only the module of
 * the command being run is imported, so `--help` and light commands start without loading TF.js,
 * vega or SQLite.
 * Errors of the MtlBenchError family print their message (naming the field or file) and exit 2;
 * any other error prints one line and exits 1 (MTL_BENCH_DEBUG=1 shows the stack).
 */
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands, type LazyCommand } from './commands/index.js';
import { MtlBenchError } from './errors.js';
import { joinDashValues } from './argv.js';
import { closest } from './suggest.js';

type Command = CommandModule<object, never>;

const isLazy = (c: LazyCommand | Command): c is LazyCommand => 'load' in c;
const nameOf = (command: string): string => command.split(' ')[0] as string;

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
    .option('plugin', { type: 'string', array: true, global: true, describe: 'load a method or task plugin module (.js, .mjs, .ts); repeatable' })
    .middleware(async (args) => {
      const files = (args.plugin as string[] | undefined) ?? [];
      if (files.length) await (await import('./plugins/load.js')).loadPlugins(files);
    })
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
/**
 * Anything else is one line on stderr (exit 1): some libraries (the TF.js wasm glue) rethrow
 * errors from their own handlers, and Node would then print their minified source. Set
 * MTL_BENCH_DEBUG=1 for the stack.
 */
function fatal(e: unknown): never {
  const err = e instanceof Error ? e : new Error(String(e));
  const line = err instanceof MtlBenchError ? `${err.name}: ${err.message}` : `internal error: ${oneLine(err.message)}`;
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
