import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';

interface Pending {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  danger: boolean;
  resolve(ok: boolean): void;
}

/**
 * `const [dialog, confirm] = useConfirm()`; `await confirm({...})` opens a modal <dialog> (focus
 * trapped, Escape cancels) and resolves true only when the person presses the confirm button.
 */
export function useConfirm(): [ReactNode, (request: { title: string; body: ReactNode; confirmLabel?: string; danger?: boolean }) => Promise<boolean>] {
  const [pending, setPending] = useState<Pending | null>(null);
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (pending && dialog && !dialog.open) dialog.showModal();
  }, [pending]);

  const finish = (ok: boolean) => {
    ref.current?.close();
    pending?.resolve(ok);
    setPending(null);
  };

  const confirm = useCallback(
    (request: { title: string; body: ReactNode; confirmLabel?: string; danger?: boolean }) =>
      new Promise<boolean>((resolve) =>
        setPending({ title: request.title, body: request.body, confirmLabel: request.confirmLabel ?? 'Confirm', danger: request.danger ?? false, resolve }),
      ),
    [],
  );

  const dialog = pending ? (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        finish(false);
      }}
    >
      <h2 id="confirm-title">{pending.title}</h2>
      <div className="dialog-body">{pending.body}</div>
      <div className="dialog-actions">
        <button type="button" onClick={() => finish(false)}>
          Cancel
        </button>
        <button type="button" className={pending.danger ? 'danger' : 'primary'} onClick={() => finish(true)}>
          {pending.confirmLabel}
        </button>
      </div>
    </dialog>
  ) : null;
  return [dialog, confirm];
}
