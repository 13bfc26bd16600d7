/**
 * A connection URL fit for logs and error messages: its password (PostgreSQL, Redis) replaced by
 * `***`; a URL without one is returned as given. The one definition: every "cannot reach …" and
 * configuration message goes through it.
 */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable url>';
  }
}
