/**
 * An on/off switch: a real button with role=switch, so Space/Enter toggle it and screen readers say its state.
 * While busy it stays enabled (aria-disabled) so it keeps focus through a confirm dialog and the request.
 */
export function SwitchButton(props: { checked: boolean; label: string; disabled?: boolean; busy?: boolean; title?: string; onChange(next: boolean): void }) {
  const { checked, label, disabled, busy, title, onChange } = props;
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      aria-busy={busy || undefined}
      aria-disabled={busy || undefined}
      disabled={disabled}
      title={title ?? label}
      className={`switch${checked ? ' switch-on' : ''}`}
      onClick={() => {
        if (!busy) onChange(!checked);
      }}
    >
      <span className="switch-knob" aria-hidden="true" />
      <span className="switch-text" aria-hidden="true">
        {checked ? 'On' : 'Off'}
      </span>
    </button>
  );
}
