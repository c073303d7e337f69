import { useEffect, useState } from 'react';
import { hasUnsavedEdits, mayLeave } from './leave-guard';
import { IN_APP, navigate } from './navigation';
import { matchRoute, type Route } from './routes';

const here = () => window.location.pathname + window.location.search;

export function useRoute(): Route {
  const read = () => matchRoute(window.location.pathname, window.location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    let shown = here();
    const update = (event: PopStateEvent) => {
      const target = here();
      // The browser's back/forward has already moved the URL: with unsaved edits, put the page's
      // URL back while the page asks, and go on only if the person discards them. In-app links
      // asked before they navigated.
      if (event.state !== IN_APP && target !== shown && hasUnsavedEdits()) {
        window.history.pushState(null, '', shown);
        void mayLeave().then((leave) => {
          if (leave) navigate(target);
        });
        return;
      }
      shown = target;
      setRoute(read());
    };
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return route;
}
