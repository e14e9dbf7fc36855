import type { CommandModule } from 'yargs';
import { methodGroup, methodPlugin, registry } from '../../optimizers/index.js';
import type { Capabilities } from '../../optimizers/types.js';

interface Args {
  json: boolean;
}

export const optimizersCommand: CommandModule<object, Args> = {
  command: 'optimizers',
  describe: 'List the registered multi-task optimizers',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }),
  handler: (args) => {
    const rows = registry.map((d) => ({
      id: d.id,
      displayName: d.displayName,
      kind: d.kind,
      group: methodGroup(d.id),
      paper: d.paper,
      defaults: d.defaults,
      params: d.params,
      capabilities: d.capabilities,
      ...(methodPlugin(d.id) ? { plugin: methodPlugin(d.id) } : {}),
    }));
    if (args.json) {
      console.log(JSON.stringify(rows, null, 2));
      return;
    }
    const caps = (c: Capabilities): string =>
      [
        c.needsTaskGradients ? 'per-task-grads' : 'losses-only',
        c.requiresRep ? 'rep-only' : c.repMode ? 'param+rep' : 'param',
        c.stateful ? 'stateful' : '',
        c.stochastic ? 'stochastic' : '',
        c.learnable ? 'learnable' : '',
      ]
        .filter(Boolean)
        .join(',');
    const table = rows.map((r) => [
      r.id,
      r.displayName,
      r.kind,
      Object.entries(r.defaults)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ') || '-',
      caps(r.capabilities),
    ]);
    const head = ['id', 'name', 'kind', 'defaults', 'capabilities'];
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    console.log(line(head));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const r of table) console.log(line(r));
  },
};
