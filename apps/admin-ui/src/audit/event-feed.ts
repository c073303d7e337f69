import { useEffect, useRef, useState, type DependencyList } from 'react';

/** One page of a cursor-paged list (GET /api/v1/audit, /api/v1/changes). */
export interface FeedPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface EventFeed<T> {
  items: T[];
  /** Where older rows continue; null once the last page is shown. */
  cursor: string | null;
  error: unknown;
  loading: boolean;
  /** Which row's details are open (one at a time). */
  open: string | undefined;
  toggle(id: string): void;
  /** Appends the next older page. */
  more(): Promise<void>;
  /** Reads the first page again and shows it instead (with the loading state). */
  reload(): void;
  /** Reads the first page again and puts its newer rows in front, quietly: a person paging down keeps their place. */
  mergeNewest(): void;
}

/**
 * A refreshed first page in front of what is already shown: newer rows are added once, the
 * rows a person paged to stay where they are.
 */
export function mergeNewest<T extends { id: string }>(shown: T[], fresh: T[]): T[] {
  const known = new Set(shown.map((row) => row.id));
  const newer = fresh.filter((row) => !known.has(row.id));
  return newer.length ? [...newer, ...shown] : shown;
}

/**
 * The audit log's and the timeline's list: the first page whenever `deps` (the filters) change,
 * older pages on request, refreshes. An answer that arrives after the filters changed is dropped.
 */
export function useEventFeed<T extends { id: string }>(fetchPage: (cursor: string | null) => Promise<FeedPage<T>>, deps: DependencyList): EventFeed<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);

  useEffect(() => {
    const mine = (generation.current += 1);
    setLoading(true);
    fetchPage(null)
      .then((page) => {
        if (mine !== generation.current) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(undefined);
      })
      .catch((err: unknown) => mine === generation.current && setError(err))
      .finally(() => mine === generation.current && setLoading(false));
    return () => {
      generation.current += 1;
    };
  }, [...deps, tick]);

  const more = async () => {
    if (!cursor) return;
    try {
      const page = await fetchPage(cursor);
      setItems((current) => [...current, ...page.items.filter((row) => !current.some((shown) => shown.id === row.id))]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    }
  };

  const refreshNewest = () => {
    const mine = generation.current;
    fetchPage(null).then(
      (page) => mine === generation.current && setItems((shown) => mergeNewest(shown, page.items)),
      () => undefined,
    );
  };

  return {
    items,
    cursor,
    error,
    loading,
    open,
    toggle: (id) => setOpen(open === id ? undefined : id),
    more,
    reload: () => setTick((t) => t + 1),
    mergeNewest: refreshNewest,
  };
}
