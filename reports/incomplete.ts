/**
 * What happened to a run that did not complete, in words every table format prints: the outcome
 * (diverged, errored, aborted, running, pending) and the epoch at which it happened.
 */
import type { IncompleteRun } from './results.js';

export type Outcome = 'diverged' | 'errored' | 'aborted' | 'running' | 'pending';

export interface OutcomeInfo {
  readonly outcome: Outcome;
  /** The 1-based epoch at which the run stopped (or is), null for a pending run. */
  readonly epoch: number | null;
  /** e.g. `diverged in epoch 3 of 8`. */
  readonly text: string;
}

/** The outcome of an incomplete run, the epoch taken from its error where it names one. */
export function outcomeOf(r: Pick<IncompleteRun, 'status' | 'error' | 'epochsDone' | 'epochs'>): OutcomeInfo {
  const named = r.error ? /\bepoch (\d+)/i.exec(r.error) : null;
  const outcome: Outcome = r.status === 'errored' && r.error && /diverg/i.test(r.error) ? 'diverged' : (r.status as Outcome);
  if (outcome === 'pending') return { outcome, epoch: null, text: 'pending (not started)' };
  if (outcome === 'aborted') return { outcome, epoch: r.epochsDone, text: `aborted after epoch ${r.epochsDone} of ${r.epochs}` };
  const epoch = named ? Number(named[1]) : Math.min(r.epochs, r.epochsDone + 1);
  if (outcome === 'running') return { outcome, epoch, text: `running (epoch ${epoch} of ${r.epochs})` };
  return { outcome, epoch, text: `${outcome} in epoch ${epoch} of ${r.epochs}` };
}

/** One line of an error message, at most `max` characters. */
export function shortError(error: string | null, max = 160): string {
  const l = (error ?? '').split('\n')[0]!.trim();
  return l.length > max ? `${l.slice(0, max - 1)}…` : l;
}

/** The footnote of a table with incomplete runs. */
export function incompleteFootnote(runs: readonly IncompleteRun[]): string[] {
  if (runs.length === 0) return [];
  const counts = new Map<Outcome, number>();
  for (const r of runs) {
    const o = outcomeOf(r).outcome;
    counts.set(o, (counts.get(o) ?? 0) + 1);
  }
  const what = [...counts].map(([o, n]) => `${n} ${o}`).join(', ');
  return [
    `† ${runs.length} run(s) did not complete (${what}): listed under "Did not complete" with what happened and in which epoch; they enter no mean, mark or Δm%.`,
    ...runs.filter((r) => r.error).map((r) => `† ${r.label}, seed ${r.seed}: ${shortError(r.error)}`),
  ];
}
