/** `mtl-bench data ...`: dataset tools. Subcommands live in their own modules and are listed here. */
import type { CommandModule } from 'yargs';

const subcommands: CommandModule<object, never>[] = [
  // DATA-INSERT (keep this marker: new data subcommands go above it)
];

export const dataCommand: CommandModule<object, object> = {
  command: 'data <command>',
  describe: 'Generate, import, inspect and transform datasets',
  builder: (y) => {
    let b = y;
    for (const c of subcommands) b = b.command(c);
    return b.demandCommand(1, 'Name a data subcommand (see mtl-bench data --help).');
  },
  handler: () => {},
};
