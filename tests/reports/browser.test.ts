/**
 * The HTML report in a real browser: headless Chromium (Debian's `chromium`; `.ci/run` installs
 * it) loads the file offline, its status script counts the plots drawn and the script errors, and
 * a screenshot must show a page. Fails, never skips, when Chromium is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { buildHtmlReport } from '../../reports/html-report.js';
import { decodePng, htmlProblems } from './checks.js';
import { makeHandDb } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-browser-'));
/** CHROMIUM_BIN names the browser to use (only that one); else the usual names on PATH. */
const CANDIDATES = process.env.CHROMIUM_BIN ? [process.env.CHROMIUM_BIN] : ['chromium', 'chromium-browser', 'google-chrome'];
const chromium = CANDIDATES.find((bin) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0);

function runChromium(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'mtl-chromium-'))}`, '--enable-logging=stderr', '--v=0'];
  const r = spawnSync(chromium!, [...flags, ...args], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status };
}

function status(dom: string): Record<string, string> {
  const m = /<div id="report-status"([^>]*)>([^<]*)</.exec(dom);
  if (!m) return {};
  return Object.fromEntries([...m[1]!.matchAll(/data-([a-z]+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]).concat([['text', m[2]!]]));
}

t.test('chromium is installed (apt-get install -y chromium fonts-dejavu-core)', async (t) => {
  t.ok(chromium, chromium ? `using ${chromium}` : `no Chromium found (tried ${CANDIDATES.join(', ')}); install it with: apt-get update && apt-get install -y chromium fonts-dejavu-core`);
});

t.test('the report renders offline in headless Chromium: every plot drawn, no errors, a real screenshot', async (t) => {
  if (!chromium) {
    t.fail('Chromium is missing: the browser check cannot run (see the first test)');
    return;
  }
  const db = join(dir, 'hand.sqlite');
  makeHandDb(db);
  const report = await buildHtmlReport(db);
  const file = join(dir, 'report.html');
  writeFileSync(file, report.html);
  t.same(report.plotErrors, []);
  t.equal(report.plots, 8, 'curves ×2, weights, Δm% vs T, SNR, abrupt, 2 examples');
  t.same(htmlProblems(report.html), [], 'well-formed');
  t.notMatch(report.html, /<(script|link|img|iframe)\b[^>]*\b(src|href)=/i, 'no external resources');
  t.notMatch(report.html, /https?:\/\/(?!www\.w3\.org\/)/, 'no URLs other than XML namespaces');
  t.match(report.html, /Failed and incomplete runs[\s\S]*errored[\s\S]*NumericalError: loss became NaN/);
  t.match(report.html, /sweep is still in progress/);
  t.match(report.html, /dataset fingerprint<\/th><td>fp-toy/);

  const url = pathToFileURL(file).href;
  const dom = runChromium(['--dump-dom', url]);
  t.equal(dom.status, 0, 'chromium --dump-dom exits 0');
  const s = status(dom.stdout);
  t.equal(s.status, 'ok', `status line: ${s.text}`);
  t.equal(s.plots, String(report.plots), 'every plot figure is in the DOM');
  t.equal(s.rendered, String(report.plots), 'every plot has a visible SVG with data marks');
  t.equal(s.errors, '0', 'no script errors');
  const consoleLines = dom.stderr.split('\n').filter((l) => /:CONSOLE/.test(l));
  t.same(consoleLines, [], 'nothing logged to the console');
  t.match(dom.stdout, /<table class="results">/);

  const png = join(dir, 'report.png');
  const shot = runChromium(['--window-size=1280,2000', '--hide-scrollbars', `--screenshot=${png}`, url]);
  t.equal(shot.status, 0, 'chromium --screenshot exits 0');
  const img = decodePng(readFileSync(png));
  t.same([img.width, img.height], [1280, 2000]);
  t.ok(img.inkFraction > 0.03, `a page, not a blank (ink ${(img.inkFraction * 100).toFixed(1)}%)`);
  t.ok(img.distinctColors > 100, `plots and tables in colour (${img.distinctColors} colours)`);

  // The check is honest: a page with a failing script and a plot without marks is reported.
  const broken = report.html.replace('<div id="report-status"', '<script>throw new Error("deliberate")</script><figure class="plot"><svg width="10" height="10"></svg></figure><div id="report-status"');
  const brokenFile = join(dir, 'broken.html');
  writeFileSync(brokenFile, broken);
  const b = status(runChromium(['--dump-dom', pathToFileURL(brokenFile).href]).stdout);
  t.equal(b.status, 'failed');
  t.equal(b.errors, '1');
  t.equal(b.rendered, String(report.plots), 'the empty SVG does not count as drawn');
  t.equal(b.plots, String(report.plots + 1));
});
