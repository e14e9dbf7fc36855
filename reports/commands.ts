/**
 * CLI commands of the reports: `report table|html`, `deltam`, `baseline`, `regress`.
 * Usage errors raise the MtlBenchError family (exit 2); `regress` exits 1 on a regression or a
 * missing row.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../src/atomic.js';
import type { CommandModule } from 'yargs';
import { ConfigError, DataError } from '../src/errors.js';
import { DELTA_M_AVERAGING, type DeltaMAveraging } from '../src/metrics/deltam.js';
import { applyFloors, deltaMOfRows, parseDeltaMInput } from './deltam-input.js';
import { formatIds, getFormat } from './formats/index.js';
import { buildHtmlReport } from './html-report.js';
import { compareToBaseline, freezeBaseline, gateFails, loadBaseline, renderRegress } from './regress.js';
import { buildResults, type ResultsModel } from './results.js';
import { readSnapshot } from './source.js';
import { comparisonTable, robustnessTable, type Table } from './table.js';
import { csvSidecar, renderTidyCsv, tidyRows } from './formats/tidy-csv.js';

interface Filters {
  db: string;
  task?: string;
  preset?: string;
  average: string;
}

function averaging(v: string, field = '--average'): DeltaMAveraging {
  if (!(DELTA_M_AVERAGING as readonly string[]).includes(v)) throw new ConfigError(field, v, `one of ${DELTA_M_AVERAGING.join(', ')}`);
  return v as DeltaMAveraging;
}

/** Read the record and build the model; errors name the filter that matched nothing. */
export function loadModel(args: Filters): ResultsModel {
  const snap = readSnapshot(args.db);
  if (snap.runs.length === 0) throw new DataError(args.db, 'holds no runs yet');
  const model = buildResults(snap, { averaging: averaging(args.average), ...(args.task ? { task: args.task } : {}), ...(args.preset ? { preset: args.preset } : {}) });
  if (model.benchmarks.length === 0) {
    const tasks = [...new Set(snap.runs.map((r) => `${r.task}/${r.preset}`))].join(', ');
    throw new ConfigError(args.task && args.preset ? '--task/--preset' : args.task ? '--task' : '--preset', args.task ?? args.preset, `a task/preset present in ${args.db} (${tasks})`);
  }
  return model;
}

/** The tables `report table` prints for a model. */
export function selectTables(model: ResultsModel, opts: { condition: string; view: string; published: boolean }): Table[] {
  const tables: Table[] = [];
  for (const b of model.benchmarks) {
    if (opts.view === 'noise') {
      if (b.robustness.length === 0) continue;
      tables.push(robustnessTable(b, { published: opts.published }));
      continue;
    }
    const conds = opts.condition === 'all' ? b.conditions : b.conditions.filter((c) => c.condition === opts.condition);
    for (const c of conds) tables.push(comparisonTable(b, c, { published: opts.published }));
  }
  if (tables.length === 0) {
    const available = [...new Set(model.benchmarks.flatMap((b) => b.conditions.map((c) => c.condition)))];
    if (opts.view === 'noise') throw new ConfigError('--view noise', 'no noise conditions', `a record with runs evaluated under clean and noisy conditions (found: ${available.join(', ') || 'none'})`);
    throw new ConfigError('--condition', opts.condition, available.length ? `one of ${[...available, 'all'].join(', ')}` : 'a condition with completed runs (none yet)');
  }
  return tables;
}

const filterOptions = {
  db: { type: 'string', demandOption: true, describe: 'the SQLite record (opened read-only; a running sweep is fine)' },
  task: { type: 'string', describe: 'only this task id (e.g. radar-ecg, nyuv2, regression)' },
  preset: { type: 'string', describe: 'only this preset' },
  average: { type: 'string', default: 'per-task', choices: [...DELTA_M_AVERAGING], describe: 'Δm% averaging of the comparison table' },
} as const;

interface TableArgs extends Filters {
  format: string;
  condition?: string;
  view: string;
  published: boolean;
  wide: boolean;
  out?: string;
}

interface HtmlArgs extends Filters {
  published: boolean;
  out: string;
  highlight?: string;
  'max-example-runs': number;
}

/** `x.csv` → `x.json` (the sidecar of a CSV export). */
export function sidecarPath(out: string): string {
  return `${out.replace(/\.csv$/i, '')}.json`;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const tableCommand: CommandModule<object, TableArgs> = {
  command: 'table',
  describe: 'Comparison tables: Markdown, HTML, LaTeX, or CSV (tidy by default, --wide for the aggregated table)',
  builder: (y) =>
    y
      .options(filterOptions)
      .option('format', { type: 'string', default: 'md', describe: `table format: ${formatIds().join(', ')}` })
      .option('condition', { type: 'string', describe: "evaluation condition (e.g. clean, snr-3dB, abrupt2s@-9dB) or 'all' [default: clean; tidy CSV: all]" })
      .option('view', { type: 'string', default: 'methods', choices: ['methods', 'noise'], describe: 'methods: one row per optimizer; noise: rows per condition, Δm% vs clean' })
      .option('published', { type: 'boolean', default: true, describe: 'show the paper’s published rows beside (--no-published to hide)' })
      .option('wide', { type: 'boolean', default: false, describe: 'csv: the aggregated table (one row per method, mean/std/CI/mark columns) instead of one row per run × metric × condition' })
      .option('out', { type: 'string', describe: 'output file (default stdout); a CSV gets its metadata in a sidecar JSON (x.csv → x.json)' })
      .example('$0 report table --db results.sqlite', 'the clean comparison table in Markdown')
      .example('$0 report table --db results.sqlite --format latex --task radar-ecg', 'Table II layout in LaTeX')
      .example('$0 report table --db results.sqlite --format csv --out runs.csv', 'tidy CSV (+ runs.json metadata)'),
  handler: (args) => {
    const format = getFormat(args.format);
    if (args.wide && format.id !== 'csv') throw new ConfigError('--wide', args.format, '--format csv (--wide selects the aggregated CSV layout)');
    const model = loadModel(args);
    const tidy = format.id === 'csv' && !args.wide && args.view !== 'noise';
    const tables = selectTables(model, { condition: args.condition ?? (tidy ? 'all' : 'clean'), view: args.view, published: args.published });
    let text: string;
    if (tidy) {
      const rows = tidyRows(model, readSnapshot(args.db), { ...(args.condition ? { condition: args.condition } : {}) });
      text = renderTidyCsv(rows);
    } else text = format.render(tables);
    if (!args.out) {
      process.stdout.write(text);
      return;
    }
    if (format.id === 'csv') {
      const side = sidecarPath(args.out);
      const meta = csvSidecar(model, tables, { layout: tidy ? 'tidy' : 'wide', filters: { task: args.task, preset: args.preset, condition: args.condition, view: args.view }, version: packageVersion() });
      writeFileAtomicSync(args.out, text);
      writeFileAtomicSync(side, `${JSON.stringify(meta, null, 2)}\n`);
      console.log(`${args.out}: ${text.split('\n').length - 2} rows (${tidy ? 'tidy: one per run × metric × condition' : 'wide'}), metadata in ${side}`);
      return;
    }
    writeFileAtomicSync(args.out, text);
    console.log(`${args.out}: ${tables.length} table(s), ${format.id}`);
  },
};

const htmlCommand: CommandModule<object, HtmlArgs> = {
  command: 'html',
  describe: 'One self-contained HTML report (tables, interactive plots, provenance), opens offline',
  builder: (y) =>
    y
      .options(filterOptions)
      .option('published', { type: 'boolean', default: true, describe: 'show the paper’s published rows beside (--no-published to hide)' })
      .option('out', { type: 'string', default: 'report.html', describe: 'output file' })
      .option('highlight', { type: 'string', describe: 'comma-separated labels or method ids drawn in colour besides EW, EGA and the two best by Δm% (the rest grey)' })
      .option('max-example-runs', { type: 'number', default: 2, describe: 'runs whose stored example signals can be picked in the report, per benchmark' })
      .example('$0 report html --db results.sqlite --out report.html', 'one offline HTML file with tables and plots')
      .example('$0 report html --db results.sqlite --highlight CAGrad,MGDA', 'also colour these methods'),
  handler: async (args) => {
    if (!(Number.isInteger(args['max-example-runs']) && args['max-example-runs'] >= 0)) throw new ConfigError('--max-example-runs', args['max-example-runs'], 'an integer >= 0');
    const r = await buildHtmlReport(args.db, {
      averaging: averaging(args.average),
      ...(args.task ? { task: args.task } : {}),
      ...(args.preset ? { preset: args.preset } : {}),
      published: args.published,
      maxExampleRuns: args['max-example-runs'],
      ...(args.highlight ? { highlight: args.highlight.split(',').map((x) => x.trim()).filter(Boolean) } : {}),
    });
    if (r.model.benchmarks.length === 0 && (args.task || args.preset)) loadModel(args);
    writeFileAtomicSync(args.out, r.html);
    const c = r.model.statusCounts;
    console.log(`${args.out}: ${r.model.benchmarks.length} benchmark(s), ${r.plots} plots, ${c.completed} completed runs, ${r.model.incomplete.length} not completed (${(Buffer.byteLength(r.html) / 1024).toFixed(0)} KiB)`);
    for (const e of r.plotErrors) console.error(`plot not rendered: ${e}`);
    if (r.plotErrors.length) process.exitCode = 1;
  },
};

export const reportCommand: CommandModule<object, object> = {
  command: 'report',
  describe: 'Results of a record: `report table` (Markdown, HTML, CSV, LaTeX) or a self-contained `report html`',
  builder: (y) => y.command(tableCommand as CommandModule<object, never>).command(htmlCommand as CommandModule<object, never>).demandCommand(1, 'Name what to report: table or html (see mtl-bench report --help).'),
  handler: () => {},
};

interface DeltaMArgs {
  input: string;
  precision?: number;
  floor?: string[];
}

export const deltamCommand: CommandModule<object, DeltaMArgs> = {
  command: 'deltam',
  describe: 'Δm% of hand-given rows against a baseline (JSON in, JSON {deltaM: {label: Δm%}, excluded, tasks} out)',
  builder: (y) =>
    y
      .option('input', { type: 'string', demandOption: true, describe: "JSON file ('-' for stdin): {metrics: [{task, name, higherIsBetter}], baseline: [..], rows: {label: [..]}, average}" })
      .option('precision', { type: 'number', describe: 'round to this many decimals (default: 12 significant digits)' })
      .option('floor', { type: 'string', array: true, describe: 'Δm% floor: task.name=VALUE for one metric, VALUE for every metric without one (a baseline ≤ 0 or below its floor is left out)' })
      .example('$0 deltam --input rows.json', '')
      .example('$0 deltam --input rows.json --floor shape.pcc=0.1', ''),
  handler: (args) => {
    let text: string;
    try {
      text = readFileSync(args.input === '-' ? 0 : args.input, 'utf8');
    } catch (e) {
      throw new DataError(args.input, `cannot read: ${(e as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new DataError(args.input, `not valid JSON: ${(e as Error).message}`);
    }
    const out = deltaMOfRows(applyFloors(parseDeltaMInput(raw), (args.floor ?? []).map(String)));
    if (args.precision !== undefined) {
      if (!(Number.isInteger(args.precision) && args.precision >= 0 && args.precision <= 15)) throw new ConfigError('--precision', args.precision, 'an integer in [0, 15]');
      for (const [k, v] of Object.entries(out.deltaM)) out.deltaM[k] = v === null ? null : Number(v.toFixed(args.precision));
    } else {
      // 12 significant digits: no floating-point tails (7.5, not 7.500000000000007).
      for (const [k, v] of Object.entries(out.deltaM)) out.deltaM[k] = v === null ? null : Number(v.toPrecision(12));
    }
    console.log(JSON.stringify(out, null, 2));
  },
};

interface BaselineArgs extends Filters {
  out: string;
}

export const baselineCommand: CommandModule<object, BaselineArgs> = {
  command: 'baseline',
  describe: 'Freeze the per-label/condition/metric means, stds and n of a record (+ provenance) for `regress`',
  builder: (y) =>
    y
      .options(filterOptions)
      .option('out', { type: 'string', demandOption: true, describe: 'baseline JSON file to write' })
      .example('$0 baseline --db main.sqlite --out baseline.json', ''),
  handler: (args) => {
    const b = freezeBaseline(loadModel(args));
    writeFileAtomicSync(args.out, `${JSON.stringify(b, null, 2)}\n`);
    console.log(`${args.out}: ${b.entries.length} metrics of ${new Set(b.entries.map((e) => `${e.benchmark}|${e.label}`)).size} rows frozen from ${args.db}`);
  },
};

interface RegressArgs extends Filters {
  baseline: string;
  'tolerance-sigmas': number;
  'rel-tol': number;
  all: boolean;
  'allow-missing': boolean;
  json: boolean;
}

export const regressCommand: CommandModule<object, RegressArgs> = {
  command: 'regress',
  describe: 'Compare a record with a frozen baseline; exit 1 if a metric got worse beyond its tolerance or a row is missing',
  builder: (y) =>
    y
      .options(filterOptions)
      .option('baseline', { type: 'string', demandOption: true, describe: "baseline JSON made by 'mtl-bench baseline'" })
      .option('tolerance-sigmas', { type: 'number', default: 3, describe: 'tolerance k·std of the baseline (where it has n >= 2 seeds)' })
      .option('rel-tol', { type: 'number', default: 0.05, describe: 'relative tolerance where the baseline has one seed or no spread' })
      .option('all', { type: 'boolean', default: false, describe: 'list unchanged metrics too' })
      .option('allow-missing', { type: 'boolean', default: false, describe: 'rows missing from the new record do not fail the gate' })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON summary (counts, pass, every comparison) instead of text' })
      .example('$0 regress --db new.sqlite --baseline baseline.json', ''),
  handler: (args) => {
    const base = loadBaseline(args.baseline);
    const r = compareToBaseline(base, loadModel(args), { sigmas: args['tolerance-sigmas'], relTol: args['rel-tol'] });
    const fail = gateFails(r, args['allow-missing']);
    if (args.json) {
      const { comparisons, ...counts } = r;
      console.log(JSON.stringify({ pass: !fail, ...counts, comparisons: args.all ? comparisons : comparisons.filter((c) => c.status !== 'ok') }, null, 2));
      if (fail) process.exitCode = 1;
      return;
    }
    process.stdout.write(renderRegress(r, { all: args.all }));
    console.log(fail ? 'regress: FAIL' : 'regress: PASS');
    if (fail) process.exitCode = 1;
  },
};

export const reportCommands = [reportCommand, deltamCommand, baselineCommand, regressCommand] as unknown as CommandModule<object, never>[];
