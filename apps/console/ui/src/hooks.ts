import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type Json } from './api';

/** Live data: fetched now, then again every `intervalMs` (and whenever `path` changes). */
export function usePolling(path: string | null, intervalMs = 5_000) {
  const [data, setData] = useState<Json>(null);
  const [error, setError] = useState<string | null>(null);
  const tick = useRef(0);
  const load = useCallback(async () => {
    if (!path) return;
    const mine = ++tick.current;
    try {
      const body = await api(path);
      if (mine === tick.current) {
        setData(body);
        setError(null);
      }
    } catch (e) {
      if (mine === tick.current) setError(e instanceof Error ? e.message : String(e));
    }
  }, [path]);
  useEffect(() => {
    void load();
    if (!intervalMs) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [load, intervalMs]);
  return { data, error, reload: load };
}

/** The location hash as [path, params]: #/mailboxes?status=Failure → ['/mailboxes', {status}]. */
export function useRoute(): [string, URLSearchParams] {
  const read = (): [string, URLSearchParams] => {
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, search] = hash.split('?', 2);
    return [path || '/', new URLSearchParams(search ?? '')];
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export const navigate = (path: string, params?: Record<string, string | undefined>) => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v) search.set(k, v);
  const text = search.toString();
  location.hash = text ? `${path}?${text}` : path;
};
