import { writeFileAtomicSync } from '../atomic.js';
import type { CommandModule } from 'yargs';
import { replayFile, resultsDocument, type FileResult } from '../replay.js';

interface Args {
  files: string[];
  out?: string;
  verbose: boolean;
}

export const replayCommand: CommandModule<object, Args> = {
  command: 'replay <files..>',
  describe: 'Replay recorded reference vectors (schema mtl-aggregator-oracle/1) through the registry and compare',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'vector files, e.g. ../shared/oracle/vectors/*.json' })
      .option('out', { type: 'string', describe: 'write the computed outputs (same nesting as the input) to this JSON file' })
      .option('verbose', { type: 'boolean', default: false, describe: 'print every comparison and note' })
      .example('$0 replay ../shared/oracle/vectors/*.json', 'replay every vector file')
      .example('$0 replay ../shared/oracle/vectors/EGA.json --out ega-results.json', 'replay one file and keep the outputs'),
  handler: (args) => {
    const results: FileResult[] = [];
    let failed = 0;
    for (const file of args.files) {
      const r = replayFile(file);
      results.push(r);
      if (r.status === 'skipped') {
        console.log(`SKIP  ${r.method.padEnd(22)} ${r.reason}`);
        continue;
      }
      const worst = Math.max(0, ...r.cases.map((c) => c.maxError));
      console.log(`${r.status === 'pass' ? 'PASS' : 'FAIL'}  ${r.method.padEnd(22)} ${r.registryId}  ${r.cases.length} cases, max rel. error ${worst.toExponential(2)}`);
      for (const c of r.cases) {
        const tag = c.status === 'pass' ? 'pass' : c.status === 'soft' ? 'soft' : 'FAIL';
        console.log(`      ${tag}  ${c.id.padEnd(48)} ${c.maxError.toExponential(2)}`);
        for (const f of c.failures) console.log(`            ${f}`);
        if (args.verbose) {
          for (const n of c.notes) console.log(`            note: ${n}`);
          for (const x of c.comparisons) console.log(`            step ${x.step} ${x.output}: ${x.error.toExponential(2)} (tol ${x.tolerance}${x.soft ? ', informative' : ''})${x.note ? ` ${x.note}` : ''}`);
        }
      }
      if (r.status === 'fail') failed++;
    }
    const done = results.filter((r) => r.status !== 'skipped');
    console.log(`\n${done.length - failed} files passed, ${failed} failed, ${results.length - done.length} skipped`);
    if (args.out) {
      const docs = results.filter((r) => r.status !== 'skipped').map(resultsDocument);
      writeFileAtomicSync(args.out, JSON.stringify(docs.length === 1 ? docs[0] : { schema: 'mtl-bench-replay/1', files: docs }, null, 1));
    }
    if (failed) process.exitCode = 1;
  },
};
