/** An on/off switch: a real button with role=switch, so Space/Enter toggle it and screen readers say its state. */
export function SwitchButton(props: { checked: boolean; label: string; disabled?: boolean; busy?: boolean; title?: string; onChange(next: boolean): void }) {
  const { checked, label, disabled, busy, title, onChange } = props;
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      aria-busy={busy || undefined}
      disabled={disabled || busy}
      title={title ?? label}
      className={`switch${checked ? ' switch-on' : ''}`}
      onClick={() => onChange(!checked)}
    >
      <span className="switch-knob" aria-hidden="true" />
      <span className="switch-text" aria-hidden="true">
        {checked ? 'On' : 'Off'}
      </span>
    </button>
  );
}
