/**
 * CSV (csv-stringify): raw values in the metrics' own units at full precision, one row per table
 * row, with mean, std, 95% interval, n (seeds averaged, of the row's `seeds`), mark and flags
 * (`partial`, `not-beating-trivial`, `deltam-excluded`, space-separated) per column. The title and the Δm% specification come
 * first as `#` comment lines (read with a comment-aware reader, e.g. pandas `comment='#'`). Text
 * cells that a spreadsheet would execute as a formula are prefixed with an apostrophe.
 */
import { stringify } from 'csv-stringify/sync';
import type { Table, TableFormat } from './types.js';

export function renderCsv(tables: readonly Table[]): string {
  const ids: string[] = [];
  for (const t of tables) for (const c of t.columns) if (!ids.includes(c.id)) ids.push(c.id);
  const header = ['table', 'section', 'label', 'kind', 'seeds', ...ids.flatMap((id) => [id, `${id}:std`, `${id}:ci95_low`, `${id}:ci95_high`, `${id}:n`, `${id}:mark`, `${id}:flags`])];
  const records: (string | number)[][] = [header];
  const num = (v: number | null): string | number => (v === null ? '' : v);
  for (const t of tables) {
    for (const s of t.sections) {
      for (const r of s.rows) {
        const rec: (string | number)[] = [t.title, s.title ?? '', r.label, r.kind, r.seeds];
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
  const comments = tables.flatMap((t) => [`# ${t.title}`, ...t.spec.map((l) => `# ${l}`), ...t.notes.map((l) => `# Note: ${l}`)]).map((l) => l.replace(/[\r\n]+/g, ' '));
  return `${comments.join('\n')}\n${stringify(records.map((r) => r.map(neutralise)))}`;
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
  description: 'CSV of raw means, stds, 95% intervals and marks (spec as leading # comments)',
  extension: 'csv',
  render: renderCsv,
};
