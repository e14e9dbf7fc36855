/**
 * HTML: a `<table>` per table with task group headings, best in `<strong>`, second best in `<u>`,
 * the 95% interval, seed count (n=k/N) and flag explanations as a tooltip, flags as cell classes
 * (`partial`, `not-beating-trivial`, `deltam-excluded`, `paired-significant`), the resolution line and the Δm%
 * specification below. The fragment is
 * what the HTML report embeds; the format itself writes a small standalone page.
 */
import type { Table, TableCell, TableFormat } from './types.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function cellHtml(c: TableCell): string {
  const inner = escapeHtml(c.text);
  const marked = c.mark === 'best' ? `<strong>${inner}</strong>` : c.mark === 'second' ? `<u>${inner}</u>` : inner;
  const seeds = c.of > 0 ? `n=${c.n}/${c.of}` : c.n ? `n=${c.n}` : '';
  const tip = [c.ci95 ? `${seeds}, 95% CI [${c.ci95[0].toPrecision(4)}, ${c.ci95[1].toPrecision(4)}]` : seeds, c.note ?? ''].filter((x) => x !== '').join('; ');
  const classes = [...(c.mark ? [c.mark] : []), ...c.flags];
  const cls = classes.length ? ` class="${classes.join(' ')}"` : '';
  return `<td${cls}${tip ? ` title="${escapeHtml(tip)}"` : ''}>${marked}</td>`;
}

/** An extra column the HTML report appends (e.g. the measured step time), by row label. */
export interface ExtraColumn {
  readonly header: string;
  readonly title: string;
  readonly values: ReadonlyMap<string, string>;
}

export function renderHtmlTable(t: Table, extra?: ExtraColumn): string {
  const n = t.columns.length + 1 + (extra ? 1 : 0);
  const top: string[] = ['<th rowspan="2" scope="col">Method</th>'];
  const second: string[] = [];
  let j = 0;
  for (const g of t.groups) {
    const cols = t.columns.slice(j, j + g.span);
    if (g.title === '' && g.span === 1) {
      const c = cols[0]!;
      top.push(`<th rowspan="2" scope="col">${escapeHtml(c.header)}${c.arrow ? ` ${c.arrow}` : ''}</th>`);
    } else {
      top.push(`<th colspan="${g.span}" scope="colgroup">${escapeHtml(g.title)}</th>`);
      for (const c of cols) second.push(`<th scope="col">${escapeHtml(c.header)}${c.arrow ? ` ${c.arrow}` : ''}</th>`);
    }
    j += g.span;
  }
  if (extra) top.push(`<th rowspan="2" scope="col" title="${escapeHtml(extra.title)}">${escapeHtml(extra.header)}</th>`);
  const body: string[] = [];
  for (const s of t.sections) {
    if (s.title) body.push(`<tr class="section"><th colspan="${n}" scope="colgroup">${escapeHtml(s.title)}</th></tr>`);
    for (const r of s.rows) {
      const more = extra ? `<td class="extra">${escapeHtml(extra.values.get(r.label) ?? '')}</td>` : '';
      body.push(`<tr class="kind-${r.kind}${r.published ? ' published' : ''}"><th scope="row">${escapeHtml(r.label)}</th>${r.cells.map(cellHtml).join('')}${more}</tr>`);
    }
  }
  return [
    '<div class="table-block"><div class="table-scroll">',
    '<table class="results">',
    `<caption>${escapeHtml(t.title)}</caption>`,
    `<thead><tr>${top.join('')}</tr>${second.length ? `<tr>${second.join('')}</tr>` : ''}</thead>`,
    `<tbody>${body.join('\n')}</tbody>`,
    '</table></div>',
    ...(t.resolution ? [`<p class="resolution">${escapeHtml(t.resolution.text)}</p>`] : []),
    `<ul class="spec">${t.spec.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}${t.notes.map((l) => `<li class="note">${escapeHtml(l)}</li>`).join('')}</ul>`,
    '</div>',
  ].join('\n');
}

export const TABLE_CSS = `
div.table-scroll { overflow-x: auto; max-width: 100%; }
table.results { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
table.results caption { text-align: left; font-weight: 600; padding: 4px 0; }
table.results th, table.results td { padding: 3px 8px; border-bottom: 1px solid #ddd; white-space: nowrap; }
table.results thead th { border-bottom: 2px solid #555; text-align: center; }
table.results td { text-align: right; font-variant-numeric: tabular-nums; }
table.results tbody th { text-align: left; font-weight: normal; white-space: normal; min-width: 9em; }
table.results tr.section th { text-align: left; font-style: italic; background: #f3f3f3; }
table.results tr.published { color: #555; background: #fafaf0; }
table.results tr.kind-baseline { background: #eef4fb; }
table.results tr.kind-trivial { color: #555; background: #f7f7f7; }
table.results td.not-beating-trivial { background: #fdecea; }
table.results td.partial { color: #8a5a00; }
table.results tr.kind-incomplete th { color: #b00020; }
table.results td.extra { color: #444; }
p.resolution { font-size: 13px; margin: 4px 0 0; }
ul.spec { font-size: 12px; color: #333; margin: 4px 0 16px; padding-left: 18px; }
ul.spec li.note { color: #8a5a00; }
`;

export const htmlFormat: TableFormat = {
  id: 'html',
  aliases: [],
  description: 'HTML page (best <strong>, second <u>, 95% CI as tooltip)',
  extension: 'html',
  render: (tables) =>
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(tables[0]?.title ?? 'mtl-bench results')}</title>\n<style>${TABLE_CSS}</style>\n</head>\n<body>\n${tables.map((t) => renderHtmlTable(t)).join('\n')}\n</body>\n</html>\n`,
};
