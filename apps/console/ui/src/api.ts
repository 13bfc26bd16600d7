/** The admin API from the browser: the token the admin typed at login, sent as a Bearer header. */

const TOKEN_KEY = 'syncfleet.adminToken';

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};
export const setUnauthorizedHandler = (handler: () => void) => {
  onUnauthorized = handler;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Json> {
  const headers: Record<string, string> = { authorization: `Bearer ${session.token() ?? ''}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (response.status === 401) {
    onUnauthorized();
    throw new ApiFailure(401, 'Signed out: the admin token was not accepted.');
  }
  if (response.status === 204) return null;
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body?.error ?? {};
    throw new ApiFailure(response.status, error.message ?? `HTTP ${response.status}`, error.fields ?? []);
  }
  return body;
}

export const query = (params: Record<string, string | number | undefined | null>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};
