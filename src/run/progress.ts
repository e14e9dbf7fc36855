/**
 * Progress display: bars on a terminal (run, epoch, batch, ETA, latest losses), plain periodic
 * lines when stdout is not a terminal (CI logs).
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from './runner.js';

export interface Progress {
  update(worker: number, e: ProgressEvent): void;
  setTotals(done: number, total: number): void;
  stop(): void;
}

const fmtLosses = (l: readonly number[]): string => l.map((x) => (Math.abs(x) >= 100 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(4))).join(' ');

export function createProgress(tty: boolean, log: (line: string) => void = (l) => console.log(l)): Progress {
  let done = 0;
  let total = 0;
  if (!tty) {
    let last = 0;
    return {
      setTotals: (d, t) => {
        done = d;
        total = t;
      },
      update: (w, e) => {
        const tag = `[${done}/${total} runs${w > 0 ? `, worker ${w}` : ''}]`;
        if (e.kind === 'run-start') log(`${tag} start ${e.label} seed ${e.seed}${e.resumedAt ? ` (resuming at epoch ${e.resumedAt})` : ''}`);
        else if (e.kind === 'epoch') log(`${tag} ${e.label} epoch ${e.epoch + 1}/${e.epochs} ${e.summary.seconds.toFixed(1)}s losses ${fmtLosses(e.summary.meanLosses)}`);
        else if (e.kind === 'run-end') log(`${tag} ${e.status} ${e.label}${e.error ? `: ${e.error.split('\n')[0]}` : ''}`);
        else if (Date.now() - last > 30000) {
          last = Date.now();
          log(`${tag} ${e.label} epoch ${e.epoch + 1} batch ${e.step + 1} losses ${fmtLosses(e.losses)}`);
        }
      },
      stop: () => {},
    };
  }
  const multi = new cliProgress.MultiBar(
    { clearOnComplete: false, hideCursor: true, format: '{label} |{bar}| {value}/{total} {unit} | ETA {eta_formatted} | {info}', barsize: 24 },
    cliProgress.Presets.shades_grey,
  );
  const overall = multi.create(1, 0, { label: 'runs'.padEnd(28), unit: 'runs', info: '' });
  const bars = new Map<number, cliProgress.SingleBar>();
  const batches = new Map<number, number>();
  return {
    setTotals: (d, t) => {
      done = d;
      total = t;
      overall.setTotal(Math.max(t, 1));
      overall.update(d);
    },
    update: (w, e) => {
      let bar = bars.get(w);
      if (!bar) {
        bar = multi.create(1, 0, { label: '', unit: 'epochs', info: '' });
        bars.set(w, bar);
      }
      const label = (e.label.length > 28 ? `${e.label.slice(0, 27)}…` : e.label).padEnd(28);
      if (e.kind === 'run-start') {
        bar.setTotal(e.epochs);
        bar.update(e.resumedAt, { label, info: `seed ${e.seed}` });
      } else if (e.kind === 'step') {
        batches.set(w, e.step + 1);
        bar.update({ label, info: `epoch ${e.epoch + 1} batch ${e.step + 1} | ${fmtLosses(e.losses)}` });
      } else if (e.kind === 'epoch') bar.update(e.epoch + 1, { label, info: `epoch ${e.epoch + 1} done, ${batches.get(w) ?? 0} batches | ${fmtLosses(e.summary.meanLosses)}` });
      else if (e.kind === 'run-end') {
        bar.update({ label, info: e.status });
        overall.update(done);
      }
    },
    stop: () => multi.stop(),
  };
}
