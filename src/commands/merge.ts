import type { CommandModule } from 'yargs';
import { mergeDatabases } from '../run/merge.js';

export const mergeCommand: CommandModule<object, { sources: string[]; into: string; json: boolean }> = {
  command: 'merge <sources..>',
  describe: 'Combine SQLite records (e.g. of shards) into one; idempotent, conflicting duplicates are reported',
  builder: (y) =>
    y
      .positional('sources', { type: 'string', array: true, demandOption: true })
      .option('into', { type: 'string', demandOption: true, describe: 'target database (created if missing)' })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON summary (counts and conflicts)' })
      .example('$0 merge shard1.sqlite shard2.sqlite --into all.sqlite', ''),
  handler: (args) => {
    const r = mergeDatabases(args.sources, args.into);
    if (args.json) {
      console.log(JSON.stringify({ into: args.into, sources: args.sources, ...r }, null, 2));
      if (r.conflicts.length) process.exitCode = 3;
      return;
    }
    console.log(`${r.copied} runs copied, ${r.replaced} unfinished runs replaced by completed ones, ${r.identical} identical duplicates skipped, ${r.skipped} not newer, ${r.conflicts.length} conflicts → ${args.into}`);
    for (const c of r.conflicts) console.log(`  conflict: ${c.label} seed ${c.seed} (${c.key}) from ${c.source}: ${c.detail}`);
    if (r.conflicts.length) process.exitCode = 3;
  },
};
