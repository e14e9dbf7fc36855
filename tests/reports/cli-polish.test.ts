/**
 * The command line as a user meets it, through real processes: numbers at sensible precision,
 * `--input -`, suggestions for mistyped flags and names, per-command help, JSON summaries,
 * --quiet, and an optimizers table that fits 100 columns.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { closest } from '../../src/suggest.js';
import { joinDashValues } from '../../src/argv.js';
import { makeHandDb } from './fixture.js';

const BIN = fileURLToPath(new URL('../../bin/mtl-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtl-cli-'));
const cli = (args: string[], input?: string) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, ...(input !== undefined ? { input } : {}) });

t.test('deltam: the README example prints 7.5, from stdin with `--input -`', async (t) => {
  const input = JSON.stringify({ metrics: [{ task: 'seg', name: 'mIoU', higherIsBetter: true }, { task: 'depth', name: 'absErr', higherIsBetter: false }], baseline: [0.5, 0.4], rows: { A: [0.55, 0.38] }, average: 'per-task' });
  for (const args of [['--input', '-'], ['--input=-']]) {
    const r = cli(['deltam', ...args], input);
    t.equal(r.status, 0, r.stderr);
    t.same(JSON.parse(r.stdout), { deltaM: { A: 7.5 }, excluded: [], tasks: ['seg', 'depth'] });
    t.match(r.stdout, /"A": 7\.5\n/, `${args.join(' ')}: 7.5 exactly`);
  }
  t.same(joinDashValues(['deltam', '--input', '-', '-x']), ['deltam', '--input=-', '-x']);
  t.same(joinDashValues(['a', '-', '--b=1', '-']), ['a', '-', '--b=1', '-'], 'only after a bare --option');
});

t.test('suggestions for mistyped flags, presets and optimizer ids (exit 2, one message)', async (t) => {
  t.equal(closest('optimisers', ['optimizers', 'seeds', 'epochs']), 'optimizers');
  t.equal(closest('zzzzzz', ['optimizers', 'seeds']), null, 'nothing close: no suggestion');
  const cases: [string[], RegExp][] = [
    [['run', '--preset', 'ci', '--optimisers', 'EW'], /did you mean --optimizers\?/],
    [['report', 'table', '--db', 'x.sqlite', '--formt', 'csv'], /did you mean --format\?/],
    [['run', '--preset', 'table-2'], /--preset: got "table-2", .*did you mean table2\?/],
    [['optimizers', 'cagrd'], /optimizer: got "cagrd", .*did you mean CAGrad\?/],
    [['reprot'], /Did you mean report\?/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    t.equal(r.status, 2, args.join(' '));
    t.match(r.stderr, re);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

t.test('per-command help lists only that command’s options', async (t) => {
  const table = cli(['report', 'table', '--help']).stdout;
  const html = cli(['report', 'html', '--help']).stdout;
  t.match(table, /--format/);
  t.match(table, /--wide/);
  t.notMatch(table, /--max-example-runs|--highlight/, 'no HTML-only options');
  t.match(html, /--highlight/);
  t.notMatch(html, /--format|--wide/, 'no table-only options');
});

t.test('optimizers: the table fits 100 columns; one optimizer in detail', async (t) => {
  const r = cli(['optimizers']);
  t.equal(r.status, 0);
  const lines = r.stdout.trimEnd().split('\n');
  t.ok(lines.length >= 22, 'every optimizer');
  for (const l of lines) t.ok(l.length <= 100, `${l.length} columns: ${l.slice(0, 30)}`);
  const one = cli(['optimizers', 'EGA']);
  t.match(one.stdout, /^EGA \(ega\)/);
  t.match(one.stdout, /T = 1 \(number, > 0\)/);
  t.equal((JSON.parse(cli(['optimizers', 'ega', '--json']).stdout) as { id: string }).id, 'ega');
});

t.test('JSON summaries of run, merge and regress; run --quiet', async (t) => {
  const db = join(dir, 'reg.sqlite');
  const run = cli(['run', '--preset', 'regression-ci', '--optimizers', 'EW', '--seeds', '0', '--epochs', '1', '--db', db, '--json']);
  t.equal(run.status, 0, run.stderr);
  const s = JSON.parse(run.stdout) as { total: number; completed: number; errored: number; ok: boolean; experiments: unknown[] };
  t.same([s.completed + s.errored, s.ok, s.experiments.length], [s.total, s.errored === 0, 1]);
  t.ok(s.total >= 2, 'EW and the single-task baselines');
  const quiet = cli(['run', '--preset', 'regression-ci', '--optimizers', 'EW', '--seeds', '0', '--epochs', '1', '--db', db, '--quiet']);
  t.equal(quiet.status, 0);
  t.same(quiet.stdout.trim().split('\n'), [`0 completed, 0 errored, ${s.total} skipped (already completed) of ${s.total} runs → ${db}`], 'only the summary line');
  const merged = cli(['merge', db, '--into', join(dir, 'all.sqlite'), '--json']);
  t.equal(merged.status, 0, merged.stderr);
  t.equal((JSON.parse(merged.stdout) as { copied: number }).copied, s.total);
  const hand = join(dir, 'hand.sqlite');
  makeHandDb(hand);
  t.equal(cli(['baseline', '--db', hand, '--out', join(dir, 'base.json')]).status, 0);
  const reg = cli(['regress', '--db', hand, '--baseline', join(dir, 'base.json'), '--json']);
  t.equal(reg.status, 0, reg.stderr);
  const g = JSON.parse(reg.stdout) as { pass: boolean; regressed: number; missing: number; ok: number };
  t.same([g.pass, g.regressed, g.missing], [true, 0, 0]);
  t.ok(g.ok > 0);
});
