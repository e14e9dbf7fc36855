/**
 * Time and size of the HTML report of a record (the quick-start target: ≤ 5 s, ≤ 1 MB).
 * Builds the report several times in one process and prints the median wall-clock and CPU
 * seconds and the size, against the targets.
 *
 *   npm run bench:ci                                         # makes results.sqlite (the quick start)
 *   node --import tsx benchmarks/report-html.ts --db results.sqlite [--repeat 3] [--json]
 */
import { parseArgs } from 'node:util';
import { buildHtmlReport } from '../reports/html-report.js';

const { values: opts } = parseArgs({
  options: {
    db: { type: 'string', default: 'results.sqlite' },
    repeat: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const repeat = Number(opts.repeat);
if (!(Number.isInteger(repeat) && repeat >= 1)) {
  console.error(`--repeat: got ${opts.repeat}, expected an integer >= 1`);
  process.exit(2);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const wall: number[] = [];
const cpu: number[] = [];
let bytes = 0;
let plots = 0;
let runs = 0;
for (let i = 0; i < repeat; i++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await buildHtmlReport(opts.db);
  const c = process.cpuUsage(c0);
  wall.push((performance.now() - t0) / 1000);
  cpu.push((c.user + c.system) / 1e6);
  bytes = Buffer.byteLength(r.html);
  plots = r.plots;
  runs = Object.values(r.model.statusCounts).reduce((a, b) => a + b, 0);
}
const out = { db: opts.db, runs, plots, repeat, wallSecondsMedian: median(wall), cpuSecondsMedian: median(cpu), bytes, targets: { seconds: 5, bytes: 1024 * 1024 } };
if (opts.json) console.log(JSON.stringify(out, null, 2));
else {
  console.log(`${opts.db}: ${runs} runs, ${plots} plots`);
  console.log(`generation: median ${out.wallSecondsMedian.toFixed(2)} s wall, ${out.cpuSecondsMedian.toFixed(2)} s CPU over ${repeat} builds (target ≤ 5 s)`);
  console.log(`size: ${(bytes / 1024).toFixed(0)} KiB (target ≤ 1024 KiB)`);
}
