/**
 * GitHub-flavoured Markdown: one pipe table per table, best in bold, second best underlined (`<u>`).
 * Text from the record (labels, titles) is escaped: pipes, emphasis, brackets (no link or image
 * syntax survives, e.g. `[x](javascript:…)`) and `<` (no HTML or autolinks).
 */
import type { Table, TableCell, TableFormat } from './types.js';

export function escapeMarkdown(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/([*`[\]])/g, '\\$1')
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
    .replace(/</g, '&lt;');
}

function cellText(c: TableCell): string {
  const t = escapeMarkdown(c.text);
  return c.mark === 'best' ? `**${t}**` : c.mark === 'second' ? `<u>${t}</u>` : t;
}

export function renderMarkdownTable(t: Table): string {
  const multiTask = new Set(t.columns.filter((c) => c.task).map((c) => c.task)).size > 1;
  const head = ['Method', ...t.columns.map((c) => `${multiTask && c.task ? `${c.task}: ` : ''}${c.header}${c.arrow ? ` ${c.arrow}` : ''}`)];
  const lines = [`| ${head.map(escapeMarkdown).join(' | ')} |`, `|${[':---', ...t.columns.map(() => '---:')].join('|')}|`];
  for (const s of t.sections) {
    if (s.title) lines.push(`| ${[`*${escapeMarkdown(s.title)}*`, ...t.columns.map(() => '')].join(' | ')} |`);
    for (const r of s.rows) lines.push(`| ${[escapeMarkdown(r.label), ...r.cells.map(cellText)].join(' | ')} |`);
  }
  const out = [`### ${escapeMarkdown(t.title)}`, '', ...lines, '', ...(t.resolution ? [escapeMarkdown(t.resolution.text), ''] : []), ...t.spec.map((l) => `- ${escapeMarkdown(l)}`)];
  if (t.notes.length) out.push(...t.notes.map((n) => `- Note: ${escapeMarkdown(n)}`));
  return `${out.join('\n')}\n`;
}

export const markdownFormat: TableFormat = {
  id: 'md',
  aliases: ['markdown'],
  description: 'GitHub-flavoured Markdown (best **bold**, second <u>underlined</u>)',
  extension: 'md',
  render: (tables) => tables.map(renderMarkdownTable).join('\n'),
};
