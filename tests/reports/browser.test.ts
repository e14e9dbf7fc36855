/**
 * The HTML report in a real browser: headless Chromium (Debian's `chromium`; `.ci/run` installs
 * it) driven by puppeteer-core at 1280 px, offline. It checks that no table overflows its
 * container (a deliberately wide table scrolls inside its own box), every plot is drawn, a
 * tooltip appears on hover over a data point, the run picker switches runs, no request leaves
 * the page, nothing is logged, and no internal path or test text shows. Fails, never skips, when
 * Chromium is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import t from 'tap';
import { buildHtmlReport } from '../../reports/html-report.js';
import { openDb } from '../../src/run/db.js';
import { htmlProblems } from './checks.js';
import { HAND_RUNS, insertExamples, insertRuns } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'mtl-browser-'));
/** CHROMIUM_BIN names the browser to use (only that one); else the usual names on PATH. */
const CANDIDATES = process.env.CHROMIUM_BIN ? [process.env.CHROMIUM_BIN] : ['chromium', 'chromium-browser', 'google-chrome'];
const chromium = CANDIDATES.map((bin) => ({ bin, r: spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }) })).find((x) => x.r.status === 0)?.r.stdout.trim();

/** The hand record, plus step timings, a second run with examples, and a benchmark with 14 long-named metrics (a table wider than the page). */
function makeDb(file: string): void {
  const db = openDb(file);
  try {
    const ids = insertRuns(db, HAND_RUNS);
    insertExamples(db, ids[4]!);
    insertExamples(db, ids[6]!);
    const ins = db.prepare('INSERT INTO timings (run_id, epoch, steps, epoch_seconds, step_ms_median, forward_ms, backward_ms, aggregate_ms, apply_ms, peak_rss_mb, learning_rate) VALUES (?, ?, 10, 1, ?, 1, 1, 1, 1, 100, 0.01)');
    ids.forEach((id, i) => {
      for (let e = 0; e < 3; e++) ins.run(id, e, 20 + 7 * (i % 5) + e);
    });
    const metrics = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`task${i % 3}/a_rather_long_metric_name_${i}_err`, 1 + i / 10]));
    insertRuns(db, [{ label: 'EW', method: 'ew', seed: 0, evals: { clean: metrics } }], { task: 'wide', experiment: 'wide' });
  } finally {
    db.close();
  }
}

const INTERNAL = /\/work\/|shared\/|seed\/\d|report-check|\.txt lines|node_modules/;

t.test('chromium is installed (apt-get install -y chromium fonts-dejavu-core)', async (t) => {
  t.ok(chromium, chromium ? `using ${chromium}` : `no Chromium found (tried ${CANDIDATES.join(', ')}); install it with: apt-get update && apt-get install -y chromium fonts-dejavu-core`);
});

t.test('the report at 1280 px: tables fit, plots drawn, tooltips, run picker, offline, no internal text', async (t) => {
  if (!chromium) {
    t.fail('Chromium is missing: the browser check cannot run (see the first test)');
    return;
  }
  const db = join(dir, 'hand.sqlite');
  makeDb(db);
  const report = await buildHtmlReport(db);
  const file = join(dir, 'report.html');
  writeFileSync(file, report.html);
  t.same(report.plotErrors, []);
  t.same(htmlProblems(report.html), [], 'well-formed');
  t.notMatch(report.html, /<(script|link|img|iframe)\b[^>]*\b(src|href)=/i, 'no external resources');
  t.notMatch(report.html, /https?:\/\/(?!www\.w3\.org\/)/, 'no URLs other than XML namespaces');
  t.notMatch(report.html, INTERNAL, 'no internal paths or test text in the file');
  t.match(report.html, /Failed and incomplete runs[\s\S]*errored[\s\S]*NumericalError: loss became NaN/);
  t.match(report.html, /id="cost-quality"/, 'the cost plot');
  t.match(report.html, /<th rowspan="2" scope="col"[^>]*>step \(ms\)<\/th>/, 'the step-time column');

  const browser: Browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  try {
    const page: Page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const url = pathToFileURL(file).href;
    const outside: string[] = [];
    const logged: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.url() !== url && !req.url().startsWith('data:') && !req.url().startsWith('about:')) outside.push(req.url());
      void (req.url() === url ? req.continue() : req.abort());
    });
    page.on('console', (m) => logged.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logged.push(`error: ${String(e)}`));
    await page.goto(url, { waitUntil: 'load' });

    const s = await page.$eval('#report-status', (el) => ({ status: el.getAttribute('data-status'), plots: el.getAttribute('data-plots'), rendered: el.getAttribute('data-rendered'), errors: el.getAttribute('data-errors'), visible: (el as HTMLElement).offsetParent !== null }));
    t.equal(s.status, 'ok');
    t.equal(s.plots, String(report.plots), 'every plot figure is in the DOM');
    t.equal(s.rendered, String(report.plots), 'every plot has a visible SVG with data marks');
    t.equal(s.errors, '0', 'no script errors');
    t.notOk(s.visible, 'the status element is not shown to readers');

    const layout = await page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const blocks = Array.from(document.querySelectorAll('div.table-scroll')).map((el) => {
        const r = el.getBoundingClientRect();
        const parent = el.parentElement!.getBoundingClientRect();
        return { right: r.right, parentRight: parent.right, scrolls: el.scrollWidth > el.clientWidth + 1, overflowX: getComputedStyle(el).overflowX };
      });
      return { vw, pageWidth: document.documentElement.scrollWidth, blocks, text: document.body.innerText };
    });
    t.equal(layout.vw, 1280);
    t.ok(layout.pageWidth <= layout.vw, `nothing sticks out of the page (${layout.pageWidth} px)`);
    t.ok(layout.blocks.length >= 2, 'tables found');
    for (const b of layout.blocks) {
      t.ok(b.right <= b.parentRight + 0.5 && b.right <= layout.vw, `table container within its block (${b.right.toFixed(0)} ≤ ${b.parentRight.toFixed(0)})`);
      t.equal(b.overflowX, 'auto');
    }
    t.ok(layout.blocks.some((b) => b.scrolls), 'the wide table scrolls inside its container (the check sees a real overflow)');
    t.notMatch(layout.text, INTERNAL, 'no internal text on the page');

    // A tooltip on hover over a data point (one not covered by another), with that point's text.
    t.ok((await page.$$('figure.plot [data-tip]')).length > 20, 'data points carry tooltips');
    t.equal(await page.$eval('#tip', (el) => (el as HTMLElement).hidden), true, 'no tooltip before hovering');
    const target = await page.evaluate(() => {
      for (const el of Array.from(document.querySelectorAll('figure.plot [data-tip]'))) {
        el.scrollIntoView({ block: 'center' });
        const r = el.getBoundingClientRect();
        const x = r.left + r.width / 2;
        const y = r.top + r.height / 2;
        if (r.width > 0 && document.elementFromPoint(x, y) === el) return { x, y, text: el.getAttribute('data-tip') };
      }
      return null;
    });
    t.ok(target, 'a data point under the mouse');
    await page.mouse.move(target!.x, target!.y);
    const tip = await page.$eval('#tip', (el) => ({ hidden: (el as HTMLElement).hidden, text: el.textContent, box: el.getBoundingClientRect().width }));
    const want = target!.text;
    t.equal(tip.hidden, false, 'the tooltip shows');
    t.equal(tip.text, want, `it says "${want}"`);
    t.ok(tip.box > 0, 'with a size');
    await page.mouse.move(2, 2);
    t.equal(await page.$eval('#tip', (el) => (el as HTMLElement).hidden), true, 'and goes away');

    // The run picker shows the picked run's reconstructions.
    const picker = await page.$('select.example-pick');
    t.ok(picker, 'a run picker');
    const options = await picker!.$$eval('option', (os) => os.map((o) => o.textContent));
    t.equal(options.length, 2, `two runs with examples: ${options.join(', ')}`);
    const shown = () => page.$$eval('figure.examples .example-run', (els) => els.map((e) => !(e as HTMLElement).hidden && (e.querySelector('svg')?.getBoundingClientRect().width ?? 0) > 0));
    t.same(await shown(), [true, false]);
    await picker!.select('1');
    t.same(await shown(), [false, true], 'the second run drawn after picking it');

    t.same(outside, [], 'no request leaves the page');
    t.same(logged, [], 'nothing logged to the console');

    // The check is honest: a failing script and a plot without marks are reported.
    const broken = report.html.replace('<div id="report-status"', '<script>throw new Error("deliberate")</script><figure class="plot"><svg width="10" height="10"></svg></figure><div id="report-status"');
    const brokenFile = join(dir, 'broken.html');
    writeFileSync(brokenFile, broken);
    const p2 = await browser.newPage();
    p2.on('pageerror', () => {});
    await p2.goto(pathToFileURL(brokenFile).href, { waitUntil: 'load' });
    const b = await p2.$eval('#report-status', (el) => ({ status: el.getAttribute('data-status'), errors: el.getAttribute('data-errors'), rendered: el.getAttribute('data-rendered'), plots: el.getAttribute('data-plots') }));
    t.same(b, { status: 'failed', errors: '1', rendered: String(report.plots), plots: String(report.plots + 1) });
  } finally {
    await browser.close();
  }
});
