// Human output: aligned tables and key/value blocks; --json prints the data itself instead.

/** One column of a table: its header and how to read a row's cell. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => unknown;
}

const cell = (value: unknown): string => {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

/** Rows as an aligned text table with a header line; "(none)" when there are no rows. */
export function table<Row>(rows: Row[], columns: Column<Row>[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => line[i]!.length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.header.toUpperCase())), ...cells.map(line)].join('\n');
}

/** Labelled values, one per line, labels aligned. */
export function fields(entries: Array<[string, unknown]>): string {
  const width = Math.max(...entries.map(([label]) => label.length));
  return entries.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${cell(value)}`).join('\n');
}
