import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, describeBackend, loadBackend, type BackendChoice } from '../tf/backend.js';
import { checkThreads } from '../tf/wasm-threads.js';

export const backendCommand: CommandModule<object, { backend: string; threads?: string; json: boolean }> = {
  command: 'backend',
  describe: 'Report which TF.js backend loads here (tfjs-node-gpu, tfjs-node, wasm, cpu) and why the faster ones were skipped',
  builder: (y) =>
    y
      .option('backend', { type: 'string', default: 'auto', choices: [...BACKEND_CHOICES], describe: 'force a backend' })
      .option('threads', { type: 'string', describe: 'threads of the wasm backend (default 1)' })
      .option('json', { type: 'boolean', default: false }),
  handler: async (args) => {
    const threads = args.threads === undefined ? undefined : checkThreads(args.threads);
    const b = await loadBackend(args.backend as BackendChoice, threads === undefined ? {} : { threads });
    const info = { backend: b.name, via: b.via, skipped: b.skipped, tfjsVersion: b.tf.version.tfjs, simd: b.name === 'wasm' ? b.tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : undefined, threads: b.threads };
    console.log(args.json ? JSON.stringify(info, null, 2) : describeBackend(b));
  },
};
