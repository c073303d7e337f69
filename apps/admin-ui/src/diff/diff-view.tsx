import { diffValues, formatValue, type DiffEntry } from './diff.model';

/** Bookkeeping and internals (rule ids, rollout salts, per-row counters) that mean nothing to a reader. */
const HIDDEN = ['updatedAt', 'createdAt', 'version', 'id', 'salt'];

const KIND_LABEL: Record<DiffEntry['kind'], string> = { added: 'added', removed: 'removed', changed: 'changed', moved: 'moved' };

/** Before/after as a table of changed fields; `caption` names what is compared. */
export function DiffView({ before, after, caption, entries }: { before?: unknown; after?: unknown; caption: string; entries?: DiffEntry[] }) {
  const rows = entries ?? diffValues(before, after, { ignore: HIDDEN });
  if (rows.length === 0) return <p className="muted">{caption}: no differences.</p>;
  return (
    <table className="diff">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Change</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((entry, i) => (
          <tr key={`${entry.path}-${i}`} className={`diff-${entry.kind}`}>
            <td>
              <code>{entry.path}</code>
            </td>
            <td>{KIND_LABEL[entry.kind]}</td>
            <td className="diff-before">
              <code>{entry.kind === 'moved' ? `position ${String(entry.before)}` : formatValue(entry.before)}</code>
            </td>
            <td className="diff-after">
              <code>{entry.kind === 'moved' ? `position ${String(entry.after)}` : formatValue(entry.after)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
