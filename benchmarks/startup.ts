/**
 * Start-up time of the CLI: wall-clock medians over several rounds, each round timing every
 * command once in turn (so load from other work affects all alike), against a bare `node -e 0`
 * and node + yargs printing a one-command help, measured in the same run. The installed package
 * runs the built JavaScript (dist/, `npm run build` first); the checkout's TypeScript-through-tsx
 * start is shown for comparison. Targets: `--help` and `optimizers` ≤ 1.0 s and ≤ 2× node + yargs.
 *
 *   npm run build && node --import tsx benchmarks/startup.ts [--rounds 9] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '9' }, json: { type: 'boolean', default: false } } });
const repo = resolve(import.meta.dirname, '..');
const bin = join(repo, 'bin', 'mtl-bench.js');
if (!existsSync(join(repo, 'dist', 'src', 'cli.js'))) {
  console.error('benchmarks/startup.ts: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const yargsOnly = "import yargs from 'yargs'; import { hideBin } from 'yargs/helpers'; yargs(hideBin(process.argv)).command('x', 'a command').help().parse();";
const cases: { name: string; args: string[]; env?: Record<string, string>; target?: boolean }[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'node + yargs --help', args: ['--input-type=module', '-e', yargsOnly, '--', '--help'] },
  { name: 'mtl-bench --help', args: [bin, '--help'], env: { MTL_BENCH_BUILT: '1' }, target: true },
  { name: 'mtl-bench optimizers', args: [bin, 'optimizers'], env: { MTL_BENCH_BUILT: '1' }, target: true },
  { name: 'mtl-bench run --help', args: [bin, 'run', '--help'], env: { MTL_BENCH_BUILT: '1' } },
  { name: 'mtl-bench --help (checkout, tsx)', args: [bin, '--help'] },
  { name: 'mtl-bench optimizers (checkout, tsx)', args: [bin, 'optimizers'] },
];
/** CPU seconds (user + system) of this process's finished children, from /proc (Linux; null elsewhere). */
function childCpu(): number | null {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[13]) + Number(f[14])) / 100; // cutime, cstime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}
const times = cases.map(() => [] as number[]);
const cpu = cases.map(() => [] as number[]);
for (let r = 0; r < Number(values.rounds); r++) {
  cases.forEach((c, i) => {
    const c0 = childCpu();
    const t0 = process.hrtime.bigint();
    const p = spawnSync(process.execPath, c.args, { cwd: repo, env: { ...process.env, ...c.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (p.status !== 0) throw new Error(`${c.name}: exit ${p.status}: ${p.stderr.toString().slice(0, 500)}`);
    times[i]!.push(dt);
    const c1 = childCpu();
    if (c0 !== null && c1 !== null) cpu[i]!.push(c1 - c0);
  });
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const med = times.map(median);
const yargsMed = med[1]!;
const cpuMed = cpu.map((a) => (a.length ? median(a) : NaN));
const rows = cases.map((c, i) => ({ name: c.name, median: med[i]!, cpu: cpuMed[i]!, vsYargs: med[i]! / yargsMed, ...(c.target ? { ok: med[i]! <= 1.0 && med[i]! <= 2 * yargsMed } : {}) }));
const load = loadavg()[0]!.toFixed(1);
if (values.json) console.log(JSON.stringify({ rounds: Number(values.rounds), loadAverage: Number(load), rows }, null, 1));
else {
  console.log(`medians of ${values.rounds} rounds; load average ${load} on this machine (wall time grows with it, CPU time much less)\n`);
  console.log('| command | wall | × node + yargs | CPU (user + sys) | target (≤ 1.0 s wall, ≤ 2×) |\n|---|---|---|---|---|');
  for (const r of rows) console.log(`| \`${r.name}\` | ${r.median.toFixed(3)} s | ${r.vsYargs.toFixed(2)} | ${Number.isFinite(r.cpu) ? `${r.cpu.toFixed(2)} s` : '–'} | ${r.ok === undefined ? '' : r.ok ? 'met' : 'missed'} |`);
}
