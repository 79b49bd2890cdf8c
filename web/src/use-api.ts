// Loads a /v1 resource for a page, optionally polling. Keeps the last good data while refreshing so
// tables do not flicker, and pauses polling while the tab is hidden.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './api/client';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload(): void;
}

export function useApi<T>(path: string | null, opts: { pollMs?: number } = {}): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const generation = useRef(0);

  const load = useCallback(async () => {
    if (path === null) return;
    const mine = ++generation.current;
    try {
      const d = await api<T>('GET', path);
      if (mine !== generation.current) return;
      setData(d);
      setError(undefined);
    } catch (err) {
      if (mine !== generation.current) return;
      setError(err as Error);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [path]);

  useEffect(() => {
    setLoading(path !== null);
    setData(undefined);
    void load();
    if (!opts.pollMs) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, opts.pollMs);
    return () => window.clearInterval(timer);
  }, [load, path, opts.pollMs]);

  return { data, error, loading, reload: () => void load() };
}
