/**
 * Hides credentials inside any URL in `text`: the user-info part (`user:password@`, or a token used
 * as user name) and password-like query parameters. Works on values that are not valid URLs (a
 * misspelt scheme is exactly when a configuration error shows the value), so it is a pattern, not
 * `new URL()`. The one definition: every "cannot reach …" and configuration message goes through it.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]*)@/gi, (_m, scheme: string, userInfo: string) => {
      const colon = userInfo.indexOf(':');
      return colon >= 0 ? `${scheme}${userInfo.slice(0, colon)}:***@` : `${scheme}***@`;
    })
    .replace(/([?&](?:password|pass|pwd|secret|token|access_token|sig|key)=)[^&#\s]*/gi, '$1***');
}
