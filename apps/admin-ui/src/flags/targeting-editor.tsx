import { describeFlagChange, type Segment, type SnapshotFlag } from '@switchyard/core';
import { useEffect, useMemo, useState } from 'react';
import { ApiError, unplacedDetails } from '../api/api-client';
import type { ErrorDetail } from '../../../../libs/errors/src/error-body.contract';
import type { EnvironmentView, FlagSummary, FlagView, SegmentView } from '../../../../libs/flags/src/flag.contract';
import { ChangeList } from '../diff/change-list';
import { useConfirm } from '../forms/confirm-dialog';
import { useLoad } from '../forms/use-load';
import { ErrorBanner } from '../forms/error-banner';
import { FieldError } from '../forms/field-error';
import { SwitchButton } from '../forms/switch-button';
import { useSession } from '../session/session-context';
import { emptyDraft } from './condition.model';
import { reviewNeeds } from './change-review';
import { ConditionRow } from './condition-row';
import { ConflictPanel } from './conflict-panel';
import { announceChangeRequest, isPendingChange, pendingNotice } from '../change-requests/pending-change';
import type { PendingChange } from '../../../../libs/flags/src/change-request.contract';
import { toggleFlag } from './flag-toggle';
import { PreviewBox } from './preview-box';
import { ServeEditor } from './serve-editor';
import {
  buildTargeting,
  draftOf,
  moveRule,
  newRule,
  prerequisiteChoices,
  prerequisiteOn,
  removeRule,
  toggleVariant,
  type PrerequisiteDraft,
  type RuleDraft,
  type TargetingDraft,
} from './targeting.model';

interface Props {
  flag: FlagView;
  environment: EnvironmentView;
  segments: readonly SegmentView[];
  /** Replaces the page's flag after a save, a toggle or a reload. */
  onFlag(flag: FlagView): void;
  onDirty(dirty: boolean): void;
}

const KNOWN_ATTRIBUTES = ['targetingKey', 'country', 'email', 'plan', 'appVersion', 'userId', 'tenant', 'signupDate', 'age'];

export function TargetingEditor({ flag, environment, segments, onFlag, onDirty }: Props) {
  const { api, abilities, user, environments } = useSession();
  const variants = useMemo(() => Object.keys(flag.variants), [flag.variants]);
  const saved = flag.environments[environment.key];
  /** The flag the draft was started from: its version goes out as If-Match. */
  const [base, setBase] = useState<FlagView>(flag);
  const [draft, setDraft] = useState<TargetingDraft>(() => draftOf(saved, variants));
  const [dirty, setDirty] = useState(false);
  const [showProblems, setShowProblems] = useState(false);
  const [serverDetails, setServerDetails] = useState<ErrorDetail[]>([]);
  const [conflict, setConflict] = useState<FlagView>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [dialog, , review] = useConfirm();
  // Per-environment roles: an editor in development may be a viewer here.
  const readOnly = !abilities.writeFlagsIn(environment.key);

  // A newer flag from outside (live update, toggle) replaces a clean draft; a dirty one is kept and
  // its save will meet the conflict check.
  useEffect(() => {
    if (dirty || flag.version === base.version) return;
    setBase(flag);
    setDraft(draftOf(flag.environments[environment.key], variants));
  }, [flag, dirty, base.version, environment.key, variants]);

  useEffect(() => onDirty(dirty), [dirty, onDirty]);
  // Leaving the editor (another tab or environment) leaves nothing unsaved behind.
  useEffect(() => () => onDirty(false), [onDirty]);

  const segmentTable = useMemo(() => Object.fromEntries(segments.map((s): [string, Segment] => [s.key, { key: s.key, conditions: s.conditions }])), [segments]);
  const definition = useMemo(() => ({ key: flag.key, type: flag.type, variants: flag.variants }), [flag.key, flag.type, flag.variants]);
  // The other flags: what a prerequisite may name, and what the preview follows prerequisites through.
  const allFlags = useLoad(() => api.get<{ items: FlagSummary[] }>('/api/v1/flags').then((r) => r.items), [api]);
  const choices = useMemo(() => (allFlags.data ? prerequisiteChoices(allFlags.data, flag.key) : undefined), [allFlags.data, flag.key]);
  const otherFlags = useMemo(() => {
    const out: Record<string, SnapshotFlag> = {};
    for (const f of allFlags.data ?? []) {
      const config = f.environments[environment.key];
      if (config && !f.archived && f.key !== flag.key) out[f.key] = { ...config, key: f.key, type: f.type, variants: f.variants };
    }
    return out;
  }, [allFlags.data, environment.key, flag.key]);
  const built = useMemo(
    () => buildTargeting(draft, definition, saved.enabled, segmentTable, choices),
    [draft, definition, saved.enabled, segmentTable, choices],
  );
  const rolloutBroken = built.problems.some(
    (p) => /(^|\.)(serve|defaultServe)\.rollout(\[\d+\]\.weight)?$/.test(p.path) || /^defaultServe\.rollout/.test(p.path),
  );
  // The rollout editors show their own sum and row problems; everything else is shown once a save is tried.
  const clientDetails = showProblems ? built.problems.filter((p) => !/\.rollout(\[\d+\]\.weight)?$/.test(p.path)) : [];
  const details = [...serverDetails, ...clientDetails];

  const edit = (next: TargetingDraft) => {
    setDraft(next);
    setDirty(true);
    setNotice(undefined);
  };
  /** Another environment's rules, default and off variant, as unsaved edits here (new rule ids, same salts). */
  const copyFrom = (sourceKey: string) => {
    const source = flag.environments[sourceKey];
    if (!source) return;
    const copied = draftOf(source, variants);
    edit({ ...copied, rules: copied.rules.map((rule) => ({ ...rule, id: undefined })) });
    const name = environments.find((e) => e.key === sourceKey)?.name ?? sourceKey;
    setNotice(`Copied targeting from ${name}: review it, then save to apply it in ${environment.name}.`);
  };
  const copySources = environments.filter((e) => e.key !== environment.key && flag.environments[e.key]);

  const editRule = (index: number, rule: RuleDraft) => edit({ ...draft, rules: draft.rules.map((r, i) => (i === index ? rule : r)) });
  const editPrerequisite = (index: number, next: PrerequisiteDraft) =>
    edit({ ...draft, prerequisites: draft.prerequisites.map((p, i) => (i === index ? next : p)) });
  const unusedChoice = choices?.find((c) => !draft.prerequisites.some((p) => p.flag === c.key));

  const reset = (to: FlagView) => {
    setBase(to);
    setDraft(draftOf(to.environments[environment.key], variants));
    setDirty(false);
    setShowProblems(false);
    setServerDetails([]);
    setConflict(undefined);
    onFlag(to);
  };

  const save = async () => {
    setShowProblems(true);
    setServerDetails([]);
    setError(undefined);
    if (!built.patch || !built.config) return;
    const needs = reviewNeeds([environment], [environment.key]);
    let comment: string | undefined;
    if (needs.ask) {
      const changes = describeFlagChange(base, { ...base, environments: { ...base.environments, [environment.key]: built.config } }, [environment]);
      const answer = await review({
        title: `Save targeting in ${environment.name}?`,
        body: <ChangeList changes={changes} />,
        confirmLabel: `Save to ${environment.name}`,
        danger: needs.danger,
        comment: needs.comment,
      });
      if (!answer) return;
      comment = answer.comment;
    }
    setBusy(true);
    try {
      const updated = await api.patch<FlagView | PendingChange>(
        `/api/v1/flags/${encodeURIComponent(flag.key)}/environments/${encodeURIComponent(environment.key)}`,
        built.patch,
        {
          ifMatch: base.version,
          confirm: needs.confirm,
          comment,
        },
      );
      if (isPendingChange(updated)) {
        // Kept as a request: the page shows it pending, the editor goes back to what is live.
        reset(base);
        setNotice(pendingNotice(updated.changeRequest));
        announceChangeRequest(updated.changeRequest);
      } else {
        reset(updated);
        setNotice(`Saved as v${updated.version}.`);
      }
    } catch (err) {
      if (err instanceof ApiError && err.code === 'PREREQUISITE_CYCLE') {
        // Not a conflict with another edit: the prerequisites themselves are refused, with the path of the cycle.
        setServerDetails(err.details);
      } else if (err instanceof ApiError && err.status === 409) {
        setConflict(await api.get<FlagView>(`/api/v1/flags/${encodeURIComponent(flag.key)}`));
      } else if (err instanceof ApiError && err.status === 400 && err.details.length) {
        setServerDetails(err.details);
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const toggle = async (enabled: boolean) => {
    setError(undefined);
    try {
      const outcome = await toggleFlag(api, { key: flag.key, version: dirty ? base.version : flag.version }, environment, enabled, review);
      if (outcome.kind === 'done') {
        // Only the enabled bit changed, so unsaved edits stay valid on top of the new version.
        setBase(outcome.flag);
        onFlag(outcome.flag);
        if (!dirty) setDraft(draftOf(outcome.flag.environments[environment.key], variants));
      } else if (outcome.kind === 'pending') {
        setNotice(pendingNotice(outcome.request));
        announceChangeRequest(outcome.request);
      } else if (outcome.kind === 'conflict') {
        setConflict(await api.get<FlagView>(`/api/v1/flags/${encodeURIComponent(flag.key)}`));
      }
    } catch (err) {
      setError(err);
    }
  };

  const ruleLabel = (ruleId: string) => {
    const index = draft.rules.findIndex((r) => (r.id ?? r.uid) === ruleId);
    if (index < 0) return ruleId;
    const description = draft.rules[index].description.trim();
    return `Rule ${index + 1}${description ? `: ${description}` : ''}`;
  };

  const shownPaths = ['offVariant', 'defaultServe', 'If-Match', 'prerequisites', ...draft.rules.map((_, i) => `rules[${i}]`)];
  const unplaced = unplacedDetails(details, shownPaths);

  return (
    <div className="targeting">
      {dialog}
      <div className="targeting-main">
        <div className="env-status card">
          <SwitchButton
            checked={saved.enabled}
            label={`${flag.key} in ${environment.name}`}
            disabled={readOnly}
            title={readOnly ? `Your role in ${environment.name} (${abilities.roleIn(environment.key) ?? user.role}) cannot change flags` : undefined}
            onChange={(next) => void toggle(next)}
          />
          <span>
            {saved.enabled ? 'On' : 'Off'} in <strong>{environment.name}</strong>
            {environment.requiresConfirmation ? <span className="badge badge-warn">asks for confirmation</span> : null}
          </span>
          {readOnly || copySources.length === 0 ? null : (
            <label className="copy-from">
              <span className="visually-hidden">Copy targeting from environment</span>
              <select value="" onChange={(e) => copyFrom(e.target.value)}>
                <option value="">Copy targeting from environment…</option>
                {copySources.map((e) => (
                  <option key={e.key} value={e.key}>
                    {e.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        {conflict ? (
          <ConflictPanel
            base={base}
            current={conflict}
            environment={environment.key}
            onReload={() => reset(conflict)}
            onKeepEditing={() => {
              setBase(conflict);
              setConflict(undefined);
              onFlag(conflict);
            }}
          />
        ) : null}
        <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
        {unplaced.length ? (
          <ul className="banner banner-error" role="alert">
            {unplaced.map((d) => (
              <li key={`${d.path}-${d.problem}`}>
                <code>{d.path}</code> {d.problem}
              </li>
            ))}
          </ul>
        ) : null}
        <datalist id="known-attributes">
          {KNOWN_ATTRIBUTES.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <section aria-labelledby="prerequisites-title" className="card">
          <h2 id="prerequisites-title">Prerequisites</h2>
          <p className="muted small">
            Checked before the rules: unless each flag below serves one of the ticked variants to the same user, this flag serves its off variant.
          </p>
          <FieldError id="prerequisites-error" details={details.filter((d) => d.path === 'prerequisites')} path="prerequisites" />
          {draft.prerequisites.length === 0 ? <p className="muted">No prerequisites.</p> : null}
          <ul className="prerequisites">
            {draft.prerequisites.map((p, i) => {
              const choice = choices?.find((c) => c.key === p.flag);
              const shown = choice?.variants ?? p.variants;
              return (
                <li key={p.uid} className="prerequisite" aria-label={`Prerequisite ${i + 1}`}>
                  <label htmlFor={`prerequisite-${i}-flag`}>Flag</label>
                  <select
                    id={`prerequisite-${i}-flag`}
                    value={p.flag}
                    disabled={readOnly}
                    aria-describedby={`prerequisite-${i}-flag-error`}
                    onChange={(e) => editPrerequisite(i, { ...prerequisiteOn(e.target.value, choices ?? []), uid: p.uid })}
                  >
                    {/* A saved flag that is no longer offered (archived, or the list is loading) stays visible. */}
                    {choice || !p.flag ? null : <option value={p.flag}>{p.flag}</option>}
                    {(choices ?? []).map((c) => (
                      <option key={c.key} value={c.key}>
                        {c.key}
                      </option>
                    ))}
                  </select>
                  <FieldError id={`prerequisite-${i}-flag-error`} details={details} path={`prerequisites[${i}].flag`} />
                  <fieldset aria-describedby={`prerequisite-${i}-variants-error`}>
                    <legend>serves one of</legend>
                    {shown.map((v) => (
                      <label key={v}>
                        <input
                          type="checkbox"
                          checked={p.variants.includes(v)}
                          disabled={readOnly}
                          onChange={() => editPrerequisite(i, toggleVariant(p, v, shown))}
                        />{' '}
                        {v}
                      </label>
                    ))}
                  </fieldset>
                  <FieldError id={`prerequisite-${i}-variants-error`} details={details} path={`prerequisites[${i}].variants`} />
                  <button
                    type="button"
                    className="icon-button danger"
                    disabled={readOnly}
                    onClick={() => edit({ ...draft, prerequisites: draft.prerequisites.filter((_, j) => j !== i) })}
                    aria-label={`Remove prerequisite ${i + 1}`}
                  >
                    Remove
                  </button>
                </li>
              );
            })}
          </ul>
          <button
            type="button"
            disabled={readOnly || !unusedChoice}
            onClick={() => unusedChoice && edit({ ...draft, prerequisites: [...draft.prerequisites, prerequisiteOn(unusedChoice.key, choices ?? [])] })}
          >
            Add prerequisite
          </button>
        </section>
        <section aria-labelledby="rules-title">
          <h2 id="rules-title">Rules</h2>
          <p className="muted small">Checked in order; the first rule whose conditions all hold decides. A rule without conditions matches everyone.</p>
          {draft.rules.length === 0 ? <p className="muted">No rules: everyone gets the default below.</p> : null}
          <ol className="rules">
            {draft.rules.map((rule, r) => (
              <li key={rule.uid} className="rule card" aria-label={`Rule ${r + 1}`}>
                <div className="rule-head">
                  <h3>Rule {r + 1}</h3>
                  <label className="visually-hidden" htmlFor={`rule-${r}-description`}>
                    Description of rule {r + 1}
                  </label>
                  <input
                    id={`rule-${r}-description`}
                    className="rule-description"
                    placeholder="Description (optional)"
                    value={rule.description}
                    disabled={readOnly}
                    onChange={(e) => editRule(r, { ...rule, description: e.target.value })}
                  />
                  <div className="rule-buttons">
                    <button
                      type="button"
                      className="icon-button"
                      disabled={readOnly || r === 0}
                      onClick={() => edit(moveRule(draft, r, -1))}
                      aria-label={`Move rule ${r + 1} up`}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      className="icon-button"
                      disabled={readOnly || r === draft.rules.length - 1}
                      onClick={() => edit(moveRule(draft, r, 1))}
                      aria-label={`Move rule ${r + 1} down`}
                    >
                      ↓
                    </button>
                    <button
                      type="button"
                      className="icon-button danger"
                      disabled={readOnly}
                      onClick={() => edit(removeRule(draft, r))}
                      aria-label={`Delete rule ${r + 1}`}
                    >
                      Delete
                    </button>
                  </div>
                </div>
                <FieldError
                  id={`rule-${r}-error`}
                  details={details.filter((d) => d.path === `rules[${r}]` || d.path === `rules[${r}].conditions`)}
                  path={`rules[${r}]`}
                />
                <p className="small muted">When all of these hold:</p>
                {rule.conditions.map((condition, c) => (
                  <ConditionRow
                    key={c}
                    draft={condition}
                    path={`rules[${r}].conditions[${c}]`}
                    name={`rule ${r + 1}, condition ${c + 1}`}
                    segments={segments}
                    details={details}
                    readOnly={readOnly}
                    onChange={(next) => editRule(r, { ...rule, conditions: rule.conditions.map((x, i) => (i === c ? next : x)) })}
                    onRemove={() => editRule(r, { ...rule, conditions: rule.conditions.filter((_, i) => i !== c) })}
                  />
                ))}
                <button type="button" disabled={readOnly} onClick={() => editRule(r, { ...rule, conditions: [...rule.conditions, emptyDraft()] })}>
                  Add condition to rule {r + 1}
                </button>
                <ServeEditor
                  serve={rule.serve}
                  variants={variants}
                  path={`rules[${r}].serve`}
                  legend={`Rule ${r + 1} serves`}
                  details={details}
                  readOnly={readOnly}
                  onChange={(serve) => editRule(r, { ...rule, serve })}
                />
              </li>
            ))}
          </ol>
          <button type="button" disabled={readOnly} onClick={() => edit({ ...draft, rules: [...draft.rules, newRule(variants)] })}>
            Add rule
          </button>
        </section>
        <section aria-labelledby="default-title" className="card">
          <h2 id="default-title">Default</h2>
          <ServeEditor
            serve={draft.defaultServe}
            variants={variants}
            path="defaultServe"
            legend="When no rule matches, serve"
            details={details}
            readOnly={readOnly}
            onChange={(defaultServe) => edit({ ...draft, defaultServe })}
          />
          <label htmlFor="off-variant">When the flag is off, serve</label>
          <select
            id="off-variant"
            value={draft.offVariant}
            disabled={readOnly}
            onChange={(e) => edit({ ...draft, offVariant: e.target.value })}
            aria-describedby="off-variant-error"
          >
            {variants.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
          <FieldError id="off-variant-error" details={details} path="offVariant" />
        </section>
        {readOnly ? null : (
          <div className="save-bar">
            {notice ? (
              <span role="status" className="muted">
                {notice}
              </span>
            ) : null}
            {rolloutBroken ? (
              <span id="save-blocked" className="field-error">
                Percentages must add up to 100% before you can save.
              </span>
            ) : null}
            <button type="button" disabled={!dirty || busy} onClick={() => reset(flag)}>
              Discard edits
            </button>
            <button
              type="button"
              className="primary"
              disabled={!dirty || busy || rolloutBroken}
              aria-describedby={rolloutBroken ? 'save-blocked' : undefined}
              onClick={() => void save()}
            >
              {busy ? 'Saving…' : `Save ${environment.name}`}
            </button>
          </div>
        )}
      </div>
      <PreviewBox
        flag={definition}
        config={built.config ?? { ...saved, version: 0 }}
        segments={segmentTable}
        flags={otherFlags}
        source={!built.config ? 'saved-invalid' : dirty ? 'edits' : 'saved'}
        ruleLabel={ruleLabel}
      />
    </div>
  );
}
