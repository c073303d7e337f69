import type { HTMLAttributes, ReactNode } from 'react';

/** The audit log's and the timeline's table: the named columns, then the details toggle's. */
export function EventTable({ columns, loading, className, label, children }: { columns: string[]; loading: boolean; className: string; label?: string; children: ReactNode }) {
  return (
    <table className={className} aria-busy={loading} aria-label={label}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
          <th scope="col">
            <span className="visually-hidden">Details</span>
          </th>
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** One event's row, whose last cell opens its details in a row below it spanning all `columns`. */
export function EventRow({
  detailId,
  columns,
  open,
  onToggle,
  toggleLabel,
  detail,
  children,
  ...row
}: { detailId: string; columns: number; open: boolean; onToggle(): void; toggleLabel: string; detail: ReactNode; children: ReactNode } & HTMLAttributes<HTMLTableRowElement>) {
  return (
    <>
      <tr {...row}>
        {children}
        <td>
          <button type="button" aria-expanded={open} aria-controls={detailId} onClick={onToggle}>
            {open ? 'Hide' : toggleLabel}
          </button>
        </td>
      </tr>
      {open ? (
        <tr id={detailId} className="audit-detail">
          <td colSpan={columns}>{detail}</td>
        </tr>
      ) : null}
    </>
  );
}

/** Shown while older rows remain. */
export function LoadOlder({ cursor, onMore, children }: { cursor: string | null; onMore(): Promise<void>; children: ReactNode }) {
  return cursor ? (
    <button type="button" onClick={() => void onMore()}>
      {children}
    </button>
  ) : null;
}
