/**
 * Outputs that nothing can half-write or turn against their reader: CSV cells a spreadsheet would
 * execute are neutralised and Markdown keeps no link syntax, for every dangerous label of a kind;
 * files and data set directories are replaced atomically (a kill of `report html` at any moment
 * leaves the previous report or the complete new one); temporary directories of killed
 * generations are removed on the next start.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { renderCsv } from '../../reports/formats/csv.js';
import { renderMarkdownTable } from '../../reports/formats/markdown.js';
import type { Table } from '../../reports/table.js';
import { buildDirAtomicSync, removeStaleTemps, writeFileAtomicSync } from '../../src/atomic.js';
import { generateOnce } from '../../src/tasks/cache.js';
import { BIN } from '../helpers/malformed.js';
import { makeHandDb } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-outputs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const table = (labels: string[], title = 'T'): Table => ({
  title,
  groups: [],
  columns: [{ id: 'a.x', task: 'a', name: 'x', header: 'x', arrow: '↑', higherIsBetter: true, displayScale: 1 }],
  sections: [{ title: null, rows: labels.map((label) => ({ label, kind: 'other', published: false, seeds: 1, cells: [{ mean: -0.5, std: null, n: 1, of: 1, ci95: null, text: '-0.500', mark: null, flags: [] }] })) }],
  spec: [],
  notes: [],
});

t.test('CSV: every text cell starting with = + - @ tab or CR gets an apostrophe; numbers stay numbers', async (t) => {
  const labels: string[] = [];
  for (const lead of ['=', '+', '-', '@', '\t', '\r']) for (const rest of ['cmd|/C calc', 'HYPERLINK("http://x")', '1+1', '', 'SUM(A1:A9)']) labels.push(`${lead}${rest}`);
  const safe = ['EW', 'CAGrad(c=0.5)', 'a=b', ' =x', "'=quoted"];
  const csv = renderCsv([table([...labels, ...safe])]);
  const rows = csv.split(/\n(?=(?:[^"]*"[^"]*")*[^"]*$)/).filter((l) => l && !l.startsWith('#'));
  const labelCells = rows.slice(1).map((r) => r.split(',')[2]!.replace(/^"|"$/g, '').replace(/""/g, '"'));
  t.equal(labelCells.length, labels.length + safe.length);
  labels.forEach((l, i) => t.equal(labelCells[i], `'${l}`, JSON.stringify(l)));
  safe.forEach((l, i) => t.equal(labelCells[labels.length + i], l, `${JSON.stringify(l)} unchanged`));
  t.ok(rows.slice(1).every((r) => r.split(',').includes('-0.5')), 'a negative number is written as a number');
});

t.test('Markdown: no link, image or autolink syntax and no bare pipe survives from a label', async (t) => {
  const evil = ['[x](javascript:alert(1))', '![img](http://e/x.png)', '<javascript:alert(1)>', '[a][ref]', 'a|b', '[x]: http://e', 'x](y)'];
  const md = renderMarkdownTable(table(evil, '[t](javascript:1)'));
  for (const line of md.split('\n')) {
    t.notMatch(line, /(?<!\\)\[[^\]]*(?<!\\)\]\(/, `no link: ${line}`);
    t.notMatch(line, /<[a-z]+:/i, `no autolink: ${line}`);
  }
  const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Method'));
  t.equal(rows.length, evil.length);
  for (const r of rows) t.equal(r.split(/(?<!\\)\|/).length, 4, `two cells: ${r}`);
});

t.test('atomic files and directories: a failure leaves the previous version, no temporary left', async (t) => {
  const f = join(dir, 'out.txt');
  writeFileSync(f, 'previous');
  writeFileAtomicSync(f, 'new');
  t.equal(readFileSync(f, 'utf8'), 'new');
  t.throws(() => writeFileAtomicSync(join(dir, 'no-such-dir', 'x.txt'), 'x'), { name: 'DataError', message: /no-such-dir\/x\.txt: cannot write/ });
  const d = join(dir, 'dataset');
  buildDirAtomicSync(d, (tmp) => writeFileSync(join(tmp, 'manifest.json'), 'v1'));
  t.throws(() =>
    buildDirAtomicSync(d, (tmp) => {
      writeFileSync(join(tmp, 'manifest.json'), 'half');
      throw new Error('killed half way');
    }),
  );
  t.equal(readFileSync(join(d, 'manifest.json'), 'utf8'), 'v1', 'the previous data set is intact');
  buildDirAtomicSync(d, (tmp) => writeFileSync(join(tmp, 'manifest.json'), 'v2'));
  t.equal(readFileSync(join(d, 'manifest.json'), 'utf8'), 'v2');
  t.same(readdirSync(dir).filter((n) => /\.(tmp|old)-\d+$|out\.txt\./.test(n)), [], 'no temporary left');
});

t.test('stale temporary directories of dead processes are removed on the next start; live ones are kept', async (t) => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  const data = join(dir, 'data');
  mkdirSync(data);
  const target = join(data, 'radar-ecg-ci');
  for (const suffix of [`tmp-${deadPid}`, `old-${deadPid}`]) {
    mkdirSync(join(`${target}.${suffix}`, 'trials'), { recursive: true });
    writeFileSync(join(`${target}.${suffix}`, 'trials', 'half.npy'), 'x');
  }
  const live = `${target}.tmp-${process.ppid}`;
  mkdirSync(live);
  mkdirSync(join(data, 'other.tmp-1'));
  let made = 0;
  generateOnce(target, 'manifest.json', (tmp) => {
    made++;
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, 'manifest.json'), '{}');
  });
  t.equal(made, 1);
  t.same(readdirSync(data).sort(), ['other.tmp-1', 'radar-ecg-ci', `radar-ecg-ci.tmp-${process.ppid}`].sort(), 'the dead process’s leftovers are gone, the live one and other names kept');
  t.same(removeStaleTemps(target), []);
  rmSync(live, { recursive: true });
});

t.test('a kill of `report html` at any moment leaves the previous report or the complete new one', async (t) => {
  const db = join(dir, 'r.sqlite');
  makeHandDb(db);
  const out = join(dir, 'report.html');
  const previous = '<!doctype html><p>previous report</p>\n';
  // One complete run: its output and how long it takes on this machine (to spread the kills).
  writeFileSync(out, previous);
  const t0 = Date.now();
  const full = spawnSync(process.execPath, [BIN, 'report', 'html', '--db', db, '--out', out], { encoding: 'utf8' });
  const span = Date.now() - t0;
  t.equal(full.status, 0, full.stderr);
  const complete = readFileSync(out, 'utf8');
  t.ok(complete.length > 1000 && complete !== previous);
  const fractions = [0.2, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99];
  for (const [i, fr] of fractions.entries()) {
    const o = join(dir, `kill-${i}.html`);
    writeFileSync(o, previous);
    await new Promise<void>((resolve) => {
      const p = spawn(process.execPath, [BIN, 'report', 'html', '--db', db, '--out', o], { stdio: 'ignore' });
      const timer = setTimeout(() => p.kill('SIGKILL'), Math.round(span * fr));
      p.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const got = readFileSync(o, 'utf8');
    const whole = got.trimEnd().endsWith('</html>') && Math.abs(got.length - complete.length) < 200;
    t.ok(got === previous || whole, `kill at ${fr}: the previous or a complete report, never a partial file (${got.length} bytes)`);
  }
  t.ok(existsSync(out));
});
