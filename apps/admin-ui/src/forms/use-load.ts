import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): Promise<void>;
  /** A value, or an update of the current one (as React's setState takes it). */
  set(data: T | undefined | ((current: T | undefined) => T | undefined)): void;
}

/** Loads on mount and whenever `deps` change; `reload` refetches (live updates call it). */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;

  const reload = useCallback(async () => {
    const mine = (generation.current += 1);
    setLoading(true);
    try {
      const value = await loader.current();
      if (mine === generation.current) {
        setData(value);
        setError(undefined);
      }
    } catch (err) {
      if (mine === generation.current) setError(err);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  // Callers list what the load depends on, as with useEffect itself.
  useEffect(() => {
    void reload();
  }, deps);

  return { data, error, loading, reload, set: setData };
}
