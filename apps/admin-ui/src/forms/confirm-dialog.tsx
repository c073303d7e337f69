import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';

interface ConfirmRequest {
  title: string;
  body: ReactNode;
  confirmLabel?: string;
  danger?: boolean;
}

/** A change to review: what it does (body), and a comment field, required where an environment says so. */
export interface ReviewRequest extends ConfirmRequest {
  comment: { required: boolean; hint?: string };
}

export type ReviewFn = (request: ReviewRequest) => Promise<{ comment: string } | null>;

interface Pending extends ConfirmRequest {
  comment?: ReviewRequest['comment'];
  resolve(ok: boolean, comment: string): void;
}

/**
 * `const [dialog, confirm, review] = useConfirm()`; `await confirm({...})` opens a modal <dialog>
 * (focus trapped, Escape cancels) and resolves true only when the person presses the confirm
 * button. `review` adds a comment field and resolves `{ comment }`, or null when cancelled.
 */
export function useConfirm(): [ReactNode, (request: ConfirmRequest) => Promise<boolean>, ReviewFn] {
  const [pending, setPending] = useState<Pending | null>(null);
  const [comment, setComment] = useState('');
  const ref = useRef<HTMLDialogElement>(null);
  /** What had focus when the dialog opened (a flag's switch): focus goes back there, not to the page body. */
  const opener = useRef<HTMLElement | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (pending && dialog && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
    }
  }, [pending]);

  const finish = (ok: boolean) => {
    ref.current?.close();
    opener.current?.focus();
    opener.current = null;
    pending?.resolve(ok, comment.trim());
    setPending(null);
  };

  const confirm = useCallback((request: ConfirmRequest) => new Promise<boolean>((resolve) => setPending({ ...request, resolve: (ok) => resolve(ok) })), []);

  const review = useCallback<ReviewFn>(
    (request) =>
      new Promise((resolve) => {
        setComment('');
        setPending({ ...request, resolve: (ok, text) => resolve(ok ? { comment: text } : null) });
      }),
    [],
  );

  const missingComment = Boolean(pending?.comment?.required) && comment.trim() === '';
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
      {pending.comment ? (
        <div className="dialog-comment">
          <label htmlFor="change-comment">{pending.comment.required ? 'Comment (required)' : 'Comment (optional)'}</label>
          <textarea
            id="change-comment"
            rows={2}
            maxLength={1000}
            value={comment}
            required={pending.comment.required}
            aria-describedby={pending.comment.hint ? 'change-comment-hint' : undefined}
            onChange={(e) => setComment(e.target.value)}
          />
          {pending.comment.hint ? (
            <p id="change-comment-hint" className="small muted">
              {pending.comment.hint}
            </p>
          ) : null}
        </div>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={() => finish(false)}>
          Cancel
        </button>
        <button type="button" className={pending.danger ? 'danger' : 'primary'} disabled={missingComment} onClick={() => finish(true)}>
          {pending.confirmLabel ?? 'Confirm'}
        </button>
      </div>
    </dialog>
  ) : null;
  return [dialog, confirm, review];
}
