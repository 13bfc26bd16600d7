/**
 * The application permissions an app-only access token carries: its `roles` claim ("Microsoft
 * identity platform access token claims reference", roles: "the set of permissions exposed by your
 * application that the requesting application has been given permission to call";
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference). Microsoft
 * warns that tokens for its own APIs may change format, so this is a diagnostic only: undefined
 * when the token is not a readable JWT, and callers then rely on Graph's answers alone. An app with
 * no permission granted gets a token without the claim: [].
 */
export function rolesOfToken(token: string): string[] | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    if (claims === null || typeof claims !== 'object') return undefined;
    if (claims.roles === undefined) return [];
    return Array.isArray(claims.roles)
      ? claims.roles.filter((r): r is string => typeof r === 'string')
      : undefined;
  } catch {
    return undefined;
  }
}
