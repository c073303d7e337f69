import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { hasUnsavedEdits, mayLeave } from './leave-guard';
import { navigate } from './navigation';

/** An ordinary link (so middle-click and copy work) that navigates in place on a plain click, asking first when edits are unsaved. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    if (!hasUnsavedEdits()) return navigate(href);
    void mayLeave().then((ok) => {
      if (ok) navigate(href);
    });
  };
  return <a href={href} onClick={click} {...rest} />;
}
