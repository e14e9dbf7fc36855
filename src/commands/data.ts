/** `mtl-bench data ...`: dataset tools. Subcommands live in their own modules and are listed here. */
import type { CommandModule } from 'yargs';
import { rpeaksCommand } from './data-rpeaks.js';
import { wfdbEvalCommand } from './data-wfdb-eval.js';
import { dataNyuv2Command } from './data-nyuv2.js';
import { dataSstCommand } from './data-sst.js';
import { dataRadarEcgCommand } from './data-radar-ecg.js';

const subcommands: CommandModule<object, never>[] = [
  rpeaksCommand as CommandModule<object, never>,
  wfdbEvalCommand as CommandModule<object, never>,
  dataNyuv2Command as CommandModule<object, never>,
  dataSstCommand as CommandModule<object, never>,
  dataRadarEcgCommand as CommandModule<object, never>,
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
