/**
 * Start-up stays light: `--help`, `optimizers` and a command's own `--help` import no heavy
 * module (TF.js, vega, SQLite, ...), checked by tracing every module the process resolves; a
 * command that needs one does load it (the trace works). The command table's names and
 * descriptions (shown without loading the modules) match the modules'.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { commands } from '../../src/commands/index.js';

const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mtl-bench-startup-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const HEAVY = /node_modules\/(@tensorflow|vega|d3-|better-sqlite3|seedrandom|h5wasm|cli-progress|csv-stringify|fft\.js|yaml\/)/;

function trace(args: string[], n: number): { status: number | null; heavy: string[]; stdout: string } {
  const file = join(dir, `trace-${n}`);
  const r = spawnSync(process.execPath, ['--import', join(repo, 'tests', 'helpers', 'trace-imports.mjs'), join(repo, 'bin', 'mtl-bench.js'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, TRACE_FILE: file } });
  const urls = readFileSync(file, 'utf8').split('\n');
  return { status: r.status, stdout: r.stdout, heavy: [...new Set(urls.filter((u) => HEAVY.test(u)).map((u) => HEAVY.exec(u)![1]!))] };
}

t.test('light commands import no heavy module', async (t) => {
  const cases = [['--help'], ['optimizers'], ['optimizers', '--json'], ['run', '--help'], ['run', '--list-presets'], ['--version']];
  cases.forEach((args, i) => {
    const r = trace(args, i);
    t.equal(r.status, 0, args.join(' '));
    t.same(r.heavy, [], `${args.join(' ')}: nothing heavy`);
  });
  const help = trace(['--help'], 100);
  for (const c of commands) if (c.describe) t.ok(help.stdout.includes(String(c.command).split(' ')[0]!), `--help lists ${String(c.command)}`);
});

t.test('the trace sees heavy modules where a command needs them', async (t) => {
  const r = trace(['report', 'table', '--db', join(dir, 'none.sqlite')], 200);
  t.equal(r.status, 2);
  t.ok(r.heavy.includes('vega') || r.heavy.includes('better-sqlite3'), `report loads its libraries (${r.heavy.join(', ')})`);
});

t.test('names and descriptions in the command table match the modules', async (t) => {
  for (const c of commands) {
    if (!('load' in c)) continue;
    const m = await c.load();
    t.equal(m.command, c.command);
    t.equal(m.describe, c.describe, String(c.command));
  }
});
