import { useEffect } from 'react';

/**
 * Unsaved edits: while a page has some, in-app links ask it first ({@link mayLeave}) and the
 * browser asks before a reload or close (`beforeunload`). One page edits at a time, so one check.
 */
let check: (() => Promise<boolean>) | undefined;

/** Whether in-app navigation may go ahead: true at once when nothing is unsaved. */
export function mayLeave(): Promise<boolean> {
  return check ? check() : Promise.resolve(true);
}

export function hasUnsavedEdits(): boolean {
  return check !== undefined;
}

const onBeforeUnload = (event: BeforeUnloadEvent) => {
  event.preventDefault();
  // Older Chromium shows its dialog only when returnValue is set.
  event.returnValue = '';
};

/** While `unsaved`, asks `ask()` before in-app navigation and the browser's dialog before unload. */
export function useLeaveGuard(unsaved: boolean, ask: () => Promise<boolean>): void {
  useEffect(() => {
    if (!unsaved) return;
    check = ask;
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      if (check === ask) check = undefined;
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [unsaved, ask]);
}
