import { useEffect, useState } from 'react';
import { matchRoute, type Route } from './routes';

export function useRoute(): Route {
  const read = () => matchRoute(window.location.pathname, window.location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return route;
}
