import type { ChangeRequestView, PendingChange } from '../../../../libs/flags/src/change-request.contract';

/** A write to an environment that requires approval answers 202 with the request instead of the flag. */
export function isPendingChange(value: unknown): value is PendingChange {
  return typeof value === 'object' && value !== null && 'changeRequest' in value;
}

const OPENED = 'switchyard:change-request';

/** Tells the page's pending-requests banner that a request was opened or decided, so it reloads. */
export function announceChangeRequest(request?: ChangeRequestView): void {
  window.dispatchEvent(new CustomEvent(OPENED, { detail: request }));
}

export function onChangeRequest(listener: () => void): () => void {
  window.addEventListener(OPENED, listener);
  return () => window.removeEventListener(OPENED, listener);
}

/** "Sent for approval" in one line, for a form's notice. */
export function pendingNotice(request: ChangeRequestView): string {
  return `Sent for approval in ${request.environments.join(', ')}: nothing changes until someone else approves it.`;
}
