/**
 * The aggregated wide CSV (`report table --format csv --wide`; csv-stringify): one header line,
 * one row per table row, raw values in the metrics' own units at full precision with mean, std,
 * 95% interval and mark per column; runs that did not complete are rows with their outcome in
 * `note`, and per column the seeds averaged (`:n`) and flags (`partial`, `not-beating-trivial`,
 * `deltam-excluded`, `paired-significant`, space-separated). No comment lines: the title and the Δm% specification go to the sidecar JSON. The
 * default CSV is the tidy one (tidy-csv.ts). Text cells that a spreadsheet would execute as a
 * formula are prefixed with an apostrophe.
 */
import { stringify } from 'csv-stringify/sync';
import type { Table, TableFormat } from './types.js';

export function renderCsv(tables: readonly Table[]): string {
  const ids: string[] = [];
  for (const t of tables) for (const c of t.columns) if (!ids.includes(c.id)) ids.push(c.id);
  const header = ['table', 'section', 'label', 'kind', 'seeds', 'note', ...ids.flatMap((id) => [id, `${id}:std`, `${id}:ci95_low`, `${id}:ci95_high`, `${id}:n`, `${id}:mark`, `${id}:flags`])];
  const records: (string | number)[][] = [header];
  const num = (v: number | null): string | number => (v === null ? '' : v);
  for (const t of tables) {
    for (const s of t.sections) {
      for (const r of s.rows) {
        const rec: (string | number)[] = [t.title, s.title ?? '', r.label, r.kind, r.seeds, r.outcome?.text ?? ''];
        for (const id of ids) {
          const j = t.columns.findIndex((c) => c.id === id);
          const c = j >= 0 ? r.cells[j] : undefined;
          if (!c) rec.push('', '', '', '', '', '', '');
          else rec.push(num(c.mean), num(c.std), num(c.ci95?.[0] ?? null), num(c.ci95?.[1] ?? null), r.published ? '' : c.n, c.mark ?? '', c.flags.join(' '));
        }
        records.push(rec);
      }
    }
  }
  return stringify(records.map((r) => r.map(neutralise)));
}

/**
 * A text cell a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
 * return) gets a leading apostrophe; numbers are written as numbers.
 */
export function neutralise(cell: string | number): string | number {
  return typeof cell === 'string' && /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

export const csvFormat: TableFormat = {
  id: 'csv',
  aliases: [],
  description: 'CSV: tidy, one row per run × metric × condition (--wide: one row per table row with means, stds, 95% intervals, marks)',
  extension: 'csv',
  render: renderCsv,
};
