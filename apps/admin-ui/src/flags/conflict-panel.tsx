import type { FlagView } from '../../../../libs/flags/src/flag.contract';
import { diffValues } from '../diff/diff.model';
import { DiffView } from '../diff/diff-view';

const IGNORE = { ignore: ['updatedAt', 'version'] };

/**
 * Shown when a save hits 409: what the other change did to this environment (and to the flag),
 * measured from the version the edits were based on, and the ways out.
 */
export function ConflictPanel(props: { base: FlagView; current: FlagView; environment: string; onReload(): void; onKeepEditing(): void }) {
  const { base, current, environment, onReload, onKeepEditing } = props;
  const { environments: _b, ...baseDefinition } = base;
  const { environments: _c, ...currentDefinition } = current;
  return (
    <section className="banner banner-conflict" role="alert" aria-labelledby="conflict-title">
      <h2 id="conflict-title">Someone else changed this flag</h2>
      <p>
        Your edits are based on v{base.version}; the flag is now at v{current.version}. Nothing of yours was saved.
      </p>
      <DiffView
        caption={`Changes in ${environment} since v${base.version}`}
        entries={diffValues(base.environments[environment], current.environments[environment], IGNORE)}
      />
      <DiffView caption="Changes to the flag itself" entries={diffValues(baseDefinition, currentDefinition, IGNORE)} />
      <div className="actions">
        <button type="button" className="primary" onClick={onReload}>
          Reload (discard my edits)
        </button>
        <button type="button" onClick={onKeepEditing}>
          Keep my edits (saving replaces their change)
        </button>
      </div>
    </section>
  );
}
