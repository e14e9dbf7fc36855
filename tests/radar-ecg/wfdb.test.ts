import t from 'tap';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBeatCode, parseMitAnnotations, parseWfdbHeader, readAnnotations, readWfdbHeader, readWfdbRecord } from '../../datasets/radar-ecg/wfdb.js';
import { DataError } from '../../src/errors.js';

const mitdb = fileURLToPath(new URL('../../../shared/data/mitdb/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wfdb-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Format 212 encoder for tests: pairs of 12-bit two's-complement samples in 3 bytes. */
function encode212(v: number[]): Buffer {
  const out = Buffer.alloc(Math.ceil((v.length * 3) / 2));
  for (let i = 0, b = 0; i < v.length; i += 2, b += 3) {
    const a = v[i]! & 0xfff;
    const c = i + 1 < v.length ? v[i + 1]! & 0xfff : 0;
    out[b] = a & 0xff;
    out[b + 1] = ((a >> 8) & 0x0f) | ((c >> 4) & 0xf0);
    if (i + 1 < v.length) out[b + 2] = c & 0xff;
  }
  return out;
}

const word = (code: number, i: number): number[] => {
  const w = (code << 10) | i;
  return [w & 0xff, w >> 8];
};

t.test('format 212 round trip: negative values, odd sample count, gain/baseline/units, checksum', async (t) => {
  const s0 = [0, 1, -1, 2047, -2047, 100, -100];
  const s1 = [5, -5, 300, -300, 7, -2048, 1];
  const inter: number[] = [];
  s0.forEach((v, i) => inter.push(v, s1[i]!));
  writeFileSync(join(dir, 'r1.dat'), encode212(inter));
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  writeFileSync(
    join(dir, 'r1.hea'),
    `# test record\nr1 2 500 7\nr1.dat 212 100(10)/uV 12 0 0 ${sum(s0)} 0 lead A\nr1.dat 212 0 12 3 5 ${sum(s1)} 0 lead B\n`,
  );
  const rec = readWfdbRecord(join(dir, 'r1'));
  t.same(Array.from(rec.digital[0]!), s0);
  t.same(Array.from(rec.digital[1]!), s1);
  t.equal(rec.header.signals[0]!.units, 'uV');
  t.equal(rec.header.signals[0]!.description, 'lead A');
  t.equal(rec.physical[0]![5], (100 - 10) / 100, 'explicit baseline');
  t.equal(rec.header.signals[1]!.gain, 200, 'gain 0 means 200');
  t.equal(rec.physical[1]![0], (5 - 3) / 200, 'baseline defaults to ADC zero');
  t.ok(Number.isNaN(rec.physical[1]![5]), '−2048 is an invalid sample');
});

t.test('truncated or corrupted .dat names the file', async (t) => {
  copyFileSync(join(mitdb, '100.hea'), join(dir, '100.hea'));
  const dat = readFileSync(join(mitdb, '100.dat'));
  writeFileSync(join(dir, '100.dat'), dat.subarray(0, 3000));
  t.throws(() => readWfdbRecord(join(dir, '100')), { name: 'DataError', message: /100\.dat: truncated: 650000 samples .* need 1950000 bytes .* file has 3000/ });
  const bad = Buffer.from(dat);
  bad[1000] = bad[1000]! ^ 0x10;
  writeFileSync(join(dir, '100.dat'), bad);
  t.throws(() => readWfdbRecord(join(dir, '100')), { name: 'DataError', message: /100\.dat: checksum mismatch/ });
  rmSync(join(dir, '100.dat'));
  t.throws(() => readWfdbRecord(join(dir, '100')), { name: 'DataError', message: /100\.dat: cannot read/ });
});

t.test('garbage .hea names the file and the problem', async (t) => {
  const cases: [string, RegExp][] = [
    ['', /no record line/],
    ['hello world\n', /number of signals "world" is not an integer/],
    ['r 2 360 100\nr.dat 212 200 11 1024\n', /2 signals declared, 1 signal lines found/],
    ['r 1 abc\n', /sampling frequency "abc"/],
    ['r 1 360 10\nr.dat 2x12y\n', /signal format "2x12y"/],
    ['r 1 360 10\nr.dat 212 mV\n', /gain "mV"/],
    ['r/3 1 360\n', /multi-segment/],
  ];
  for (const [text, re] of cases) {
    const f = join(dir, 'g.hea');
    writeFileSync(f, text);
    t.throws(() => readWfdbHeader(f), { name: 'DataError', message: new RegExp(`g\\.hea: .*${re.source}`) }, JSON.stringify(text));
  }
  writeFileSync(join(dir, 'f.hea'), 'f 1 360 10\nf.dat 311 200 10 0\n');
  writeFileSync(join(dir, 'f.dat'), Buffer.alloc(100));
  t.throws(() => readWfdbRecord(join(dir, 'f')), { name: 'DataError', message: /f\.hea: .*format 311 is not supported/ });
  t.same(parseWfdbHeader('x 1\nx.dat 16\n').fs, 250, 'WFDB default sampling frequency');
});

t.test('MIT annotations: SKIP, NUM, SUB, CHN, AUX and beat codes', async (t) => {
  const bytes = [
    ...word(1, 100), // N at 100
    ...word(61, 3), // SUB 3
    ...word(59, 0), 0x01, 0x00, 0x00, 0x00, // SKIP 65536 (high word 1, low word 0)
    ...word(5, 20), // V at 100 + 65536 + 20
    ...word(62, 1), // CHN 1 (carries over)
    ...word(60, 7), // NUM 7 (carries over)
    ...word(28, 1), // + at +1
    ...word(63, 3), 0x28, 0x41, 0x42, 0x00, // AUX "(AB" padded
    ...word(14, 0), // ~ at the same time
    0, 0,
  ];
  const a = parseMitAnnotations(Uint8Array.from(bytes), 't.atr');
  t.same(a.map((x) => [x.sample, x.symbol, x.subtype, x.chan, x.num, x.aux]), [
    [100, 'N', 3, 0, 0, null],
    [100 + 65536 + 20, 'V', 0, 1, 7, null],
    [100 + 65536 + 21, '+', 0, 1, 7, '(AB'],
    [100 + 65536 + 21, '~', 0, 1, 7, null],
  ]);
  t.same([1, 5, 8, 13, 25, 34, 41].map(isBeatCode), [true, true, true, true, true, true, true]);
  t.same([0, 14, 16, 22, 28, 37].map(isBeatCode), [false, false, false, false, false, false]);
});

t.test('odd .atr files give DataError naming the file', async (t) => {
  const cases: [number[], RegExp][] = [
    [[...word(1, 10), 0x05], /odd trailing byte/],
    [[...word(1, 10), ...word(63, 8), 0x41, 0x42], /AUX .* announces 8 bytes, 2 left/],
    [[...word(1, 10), ...word(59, 0), 0x00], /SKIP .* lacks its 4-byte interval/],
    [[...word(55, 10)], /unknown code 55/],
    [[...word(61, 1)], /modifier code 61 .* precedes any annotation/],
  ];
  for (const [bytes, re] of cases) {
    const f = join(dir, 'odd.atr');
    writeFileSync(f, Uint8Array.from(bytes));
    t.throws(() => readAnnotations(f), { name: 'DataError', message: new RegExp(`odd\\.atr: .*${re.source}`) }, re.source);
  }
  t.throws(() => readAnnotations(join(dir, 'none.atr')), DataError);
  // Random bytes: either parse or fail with a DataError, never anything else.
  let seed = 12345;
  for (let k = 0; k < 50; k++) {
    const junk = Uint8Array.from({ length: 64 + k }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff);
    try {
      parseMitAnnotations(junk, 'junk.atr');
    } catch (e) {
      t.ok(e instanceof DataError && /junk\.atr/.test((e as Error).message), `junk ${k}: DataError`);
    }
  }
});
