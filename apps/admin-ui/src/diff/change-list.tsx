import type { ChangeDescription } from '@switchyard/core';

/**
 * A change in plain sentences, grouped by environment (the words come from sdk/core's describer,
 * the same the server stores in audit summaries).
 */
export function ChangeList({ changes, empty = 'No changes.' }: { changes: ChangeDescription; empty?: string }) {
  if (changes.flag.length === 0 && changes.environments.length === 0) return <p className="muted">{empty}</p>;
  return (
    <div className="change-list">
      {changes.flag.length ? (
        <ul aria-label="Flag changes">
          {changes.flag.map((sentence, i) => (
            <li key={i}>{sentence}</li>
          ))}
        </ul>
      ) : null}
      {changes.environments.map((env) => (
        <section key={env.environment} className="change-env" aria-label={`Changes in ${env.name}`}>
          <h4>{env.name}</h4>
          <ul>
            {env.changes.map((sentence, i) => (
              <li key={i}>{sentence}</li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

/** Sentences as stored on audit events ("Production: turns OFF"). */
export function SentenceList({ sentences, label }: { sentences: readonly string[]; label: string }) {
  return (
    <ul className="change-list sentences" aria-label={label}>
      {sentences.map((sentence, i) => (
        <li key={i}>{sentence}</li>
      ))}
    </ul>
  );
}
