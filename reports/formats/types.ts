/** An output format of the table model (the registry is in index.ts). */
import type { Table } from '../table.js';

export type { Table, TableCell, TableColumn, TableRow } from '../table.js';

export interface TableFormat {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly description: string;
  readonly extension: string;
  /** Render one or more tables as one document. */
  render(tables: readonly Table[]): string;
}
