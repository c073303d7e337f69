import { evaluate, type EnvironmentConfig, type EvaluationResult, type FlagDefinition, type Segment, type SnapshotFlag } from '@switchyard/core';
import { useMemo, useState } from 'react';

interface Props {
  flag: FlagDefinition;
  config: EnvironmentConfig;
  segments: Record<string, Segment>;
  /** The environment's other flags, which prerequisites are evaluated through. */
  flags?: Record<string, SnapshotFlag>;
  /** Whether `config` holds unsaved edits, what the server has, or what the server has because the edits have problems. */
  source: 'edits' | 'saved' | 'saved-invalid';
  ruleLabel(ruleId: string): string;
}

const SOURCE_TEXT: Record<Props['source'], string> = {
  edits: 'Evaluates your unsaved edits.',
  saved: 'Evaluates the saved targeting.',
  'saved-invalid': 'Evaluates the saved targeting: your edits have problems.',
};

type Outcome = { result: EvaluationResult } | { problem: string };

/** The engine itself (sdk/core, the code SDKs run) answers what this context would get. */
export function PreviewBox({ flag, config, segments, flags, source, ruleLabel }: Props) {
  const [text, setText] = useState('{\n  "targetingKey": "user-1",\n  "country": "NO"\n}');
  const outcome: Outcome = useMemo(() => {
    let context: unknown;
    try {
      context = JSON.parse(text);
    } catch (err) {
      return { problem: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (context === null || typeof context !== 'object' || Array.isArray(context)) return { problem: 'the context must be a JSON object' };
    return { result: evaluate(flag, config, context as Record<string, unknown>, { segments, flags }) };
  }, [text, flag, config, segments, flags]);

  return (
    <section className="card preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <p className="muted small">{SOURCE_TEXT[source]}</p>
      <label htmlFor="preview-context">Context (JSON)</label>
      <textarea
        id="preview-context"
        rows={6}
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-invalid={'problem' in outcome || undefined}
        aria-describedby="preview-output"
      />
      <div id="preview-output" aria-live="polite">
        {'problem' in outcome ? (
          <p className="field-error" role="alert">
            {outcome.problem}
          </p>
        ) : (
          <dl className="preview-result">
            <dt>Value</dt>
            <dd data-testid="preview-value">
              <code>{outcome.result.value === undefined ? '(caller’s default)' : JSON.stringify(outcome.result.value)}</code>
            </dd>
            <dt>Variant</dt>
            <dd data-testid="preview-variant">{outcome.result.variant ?? '—'}</dd>
            <dt>Reason</dt>
            <dd data-testid="preview-reason">
              {outcome.result.reason}
              {outcome.result.errorCode ? ` (${outcome.result.errorCode}${outcome.result.errorMessage ? `: ${outcome.result.errorMessage}` : ''})` : ''}
            </dd>
            {outcome.result.ruleId ? (
              <>
                <dt>Rule</dt>
                <dd data-testid="preview-rule">{ruleLabel(outcome.result.ruleId)}</dd>
              </>
            ) : null}
            {outcome.result.failedPrerequisite ? (
              <>
                <dt>Prerequisite</dt>
                <dd data-testid="preview-prerequisite">{outcome.result.failedPrerequisite} did not serve a listed variant</dd>
              </>
            ) : null}
          </dl>
        )}
      </div>
    </section>
  );
}
