/**
 * Progress display: bars on a terminal (run, epoch, batch, ETA, latest losses), plain periodic
 * lines when stdout is not a terminal (CI logs). The ETA is computed here from completed epochs
 * (never NaN: `--` until there is something to extrapolate from).
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from './runner.js';

export interface Progress {
  update(worker: number, e: ProgressEvent): void;
  setTotals(done: number, total: number): void;
  /** A line above the bars (or in the log). */
  log(line: string): void;
  /** Stop drawing and restore the cursor; safe to call more than once. */
  stop(): void;
}

const fmtLosses = (l: readonly number[]): string => l.map((x) => (Math.abs(x) >= 100 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(4))).join(' ');

/** Seconds as `1h02m`, `3m05s`, `12s`; `--` for anything that is not a finite, non-negative number. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Remaining time of a job from elapsed seconds and the fraction done; `--` while nothing is done. */
export function etaText(elapsedSeconds: number, fractionDone: number): string {
  if (!(fractionDone > 0) || !(fractionDone <= 1)) return '--';
  return formatEta((elapsedSeconds * (1 - fractionDone)) / fractionDone);
}

/** Epoch-level bookkeeping of one worker's current run, for its ETA and the overall one. */
interface Current {
  epochs: number;
  startEpoch: number;
  done: number;
  startedAt: number;
}

export function createProgress(tty: boolean, log: (line: string) => void = (l) => console.log(l)): Progress {
  let done = 0;
  let total = 0;
  let doneAtStart: number | null = null;
  const t0 = Date.now();
  const current = new Map<number, Current>();
  const track = (w: number, e: ProgressEvent): void => {
    if (e.kind === 'run-start') current.set(w, { epochs: e.epochs, startEpoch: e.resumedAt, done: e.resumedAt, startedAt: Date.now() });
    else if (e.kind === 'epoch') {
      const c = current.get(w);
      if (c) c.done = e.epoch + 1;
    } else if (e.kind === 'run-end') current.delete(w);
  };
  const overallEta = (): string => {
    const todo = total - (doneAtStart ?? done);
    let partial = 0;
    for (const c of current.values()) partial += (c.done - c.startEpoch) / Math.max(c.epochs - c.startEpoch, 1);
    return etaText((Date.now() - t0) / 1000, todo > 0 ? (done - (doneAtStart ?? done) + partial) / todo : NaN);
  };
  const runEta = (w: number): string => {
    const c = current.get(w);
    return c ? etaText((Date.now() - c.startedAt) / 1000, (c.done - c.startEpoch) / Math.max(c.epochs - c.startEpoch, 1)) : '--';
  };
  const setTotals = (d: number, t: number): void => {
    doneAtStart ??= d;
    done = d;
    total = t;
  };
  if (!tty) {
    let last = 0;
    return {
      setTotals,
      log,
      update: (w, e) => {
        track(w, e);
        const tag = `[${done}/${total} runs${w > 0 ? `, worker ${w}` : ''}]`;
        if (e.kind === 'run-start') log(`${tag} start ${e.label} seed ${e.seed}${e.resumedAt ? ` (resuming at epoch ${e.resumedAt})` : ''}`);
        else if (e.kind === 'epoch') log(`${tag} ${e.label} epoch ${e.epoch + 1}/${e.epochs} ${e.summary.seconds.toFixed(1)}s losses ${fmtLosses(e.summary.meanLosses)} | ETA ${overallEta()}`);
        else if (e.kind === 'run-end') log(`${tag} ${e.status} ${e.label}${e.error ? `: ${e.error.split('\n')[0]}` : ''}`);
        else if (e.kind === 'notice') log(`${tag} ${e.label}: ${e.message}`);
        else if (Date.now() - last > 30000) {
          last = Date.now();
          log(`${tag} ${e.label} epoch ${e.epoch + 1} batch ${e.step + 1} losses ${fmtLosses(e.losses)}`);
        }
      },
      stop: () => {},
    };
  }
  const multi = new cliProgress.MultiBar(
    { clearOnComplete: false, hideCursor: true, format: '{label} |{bar}| {value}/{total} {unit} | ETA {etaText} | {info}', barsize: 24 },
    cliProgress.Presets.shades_grey,
  );
  const overall = multi.create(1, 0, { label: 'runs'.padEnd(28), unit: 'runs', info: '', etaText: '--' });
  const bars = new Map<number, cliProgress.SingleBar>();
  const batches = new Map<number, number>();
  let stopped = false;
  return {
    setTotals: (d, t) => {
      setTotals(d, t);
      overall.setTotal(Math.max(t, 1));
      overall.update(d, { etaText: overallEta() });
    },
    log: (line) => multi.log(`${line}\n`),
    update: (w, e) => {
      track(w, e);
      if (e.kind === 'notice') {
        multi.log(`${e.label}: ${e.message}\n`);
        return;
      }
      let bar = bars.get(w);
      if (!bar) {
        bar = multi.create(1, 0, { label: '', unit: 'epochs', info: '', etaText: '--' });
        bars.set(w, bar);
      }
      const label = (e.label.length > 28 ? `${e.label.slice(0, 27)}…` : e.label).padEnd(28);
      if (e.kind === 'run-start') {
        bar.setTotal(e.epochs);
        bar.update(e.resumedAt, { label, info: `seed ${e.seed}`, etaText: '--' });
      } else if (e.kind === 'step') {
        batches.set(w, e.step + 1);
        bar.update({ label, info: `epoch ${e.epoch + 1} batch ${e.step + 1} | ${fmtLosses(e.losses)}`, etaText: runEta(w) });
      } else if (e.kind === 'epoch') bar.update(e.epoch + 1, { label, info: `epoch ${e.epoch + 1} done, ${batches.get(w) ?? 0} batches | ${fmtLosses(e.summary.meanLosses)}`, etaText: runEta(w) });
      else if (e.kind === 'run-end') bar.update({ label, info: e.status, etaText: '--' });
      overall.update(done, { etaText: overallEta() });
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      multi.stop();
    },
  };
}
