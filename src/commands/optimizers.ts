import type { CommandModule } from 'yargs';
import { getMethod, methodGroup, methodPlugin, registry } from '../../optimizers/index.js';
import type { Capabilities } from '../../optimizers/types.js';

interface Args {
  json: boolean;
  id?: string;
}

export const optimizersCommand: CommandModule<object, Args> = {
  command: 'optimizers [id]',
  describe: 'List the registered multi-task optimizers (one in detail: optimizers ID)',
  builder: (y) =>
    y
      .positional('id', { type: 'string', describe: 'an optimizer id or name: its paper, parameters with defaults and ranges, capabilities' })
      .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' })
      .example('$0 optimizers', 'the table (id, name, kind, capabilities)')
      .example('$0 optimizers cagrad', 'CAGrad in detail'),
  handler: (args) => {
    const defs = args.id ? [getMethod(args.id)] : registry;
    const rows = defs.map((d) => ({
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
    if (args.json) {
      console.log(JSON.stringify(args.id ? rows[0] : rows, null, 2));
      return;
    }
    if (args.id) {
      const r = rows[0]!;
      const out = [`${r.displayName} (${r.id}): ${r.kind}, group ${r.group}`, `paper: ${r.paper.title} (${r.paper.venue} ${r.paper.year})`, `capabilities: ${caps(r.capabilities)}`, 'parameters:'];
      const specs = Object.entries(r.params);
      if (specs.length === 0) out.push('  (none)');
      for (const [k, spec] of specs) {
        const range = [spec.min !== undefined ? `>= ${spec.min}` : '', spec.gt !== undefined ? `> ${spec.gt}` : '', spec.values ? `one of ${spec.values.join(', ')}` : '', spec.max !== undefined ? `<= ${spec.max}` : ''].filter(Boolean).join(', ');
        out.push(`  ${k} = ${JSON.stringify((r.defaults as Record<string, unknown>)[k])} (${spec.type}${range ? `, ${range}` : ''}): ${spec.description}`);
      }
      console.log(out.join('\n'));
      return;
    }
    // Fits 100 columns; defaults and parameter ranges: `optimizers ID` or --json.
    const table = rows.map((r) => [r.id, r.displayName, r.kind, caps(r.capabilities)]);
    const head = ['id', 'name', 'kind', 'capabilities'];
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    console.log(line(head));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const r of table) console.log(line(r));
  },
};
