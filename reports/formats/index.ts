/** The registry of table formats over the one table model (reports/table.ts). */
import { ConfigError } from '../../src/errors.js';
import { csvFormat } from './csv.js';
import { htmlFormat } from './html.js';
import { latexFormat } from './latex.js';
import { markdownFormat } from './markdown.js';
import type { TableFormat } from './types.js';

export const tableFormats: readonly TableFormat[] = [markdownFormat, htmlFormat, csvFormat, latexFormat];

export function formatIds(): string[] {
  return tableFormats.map((f) => f.id);
}

/** Look a format up by id or alias (`md`, `markdown`, `html`, `csv`, `latex`, `tex`). */
export function getFormat(id: string): TableFormat {
  const key = id.toLowerCase();
  const f = tableFormats.find((x) => x.id === key || x.aliases.includes(key));
  if (!f) throw new ConfigError('--format', id, `one of ${tableFormats.map((x) => x.id).join(', ')}`);
  return f;
}

export type { TableFormat } from './types.js';
