// What the care app's data tables share.
import type { ComponentChildren } from "preact";

/** A table's header row: one column heading each, in order. */
export function ColumnHeads({ columns }: { columns: ComponentChildren[] }) {
  return (
    <thead>
      <tr>
        {columns.map((heading, column) => (
          // The headings are fixed for the table's life: a heading's place is who it is.
          <th key={column} scope="col">
            {heading}
          </th>
        ))}
      </tr>
    </thead>
  );
}
