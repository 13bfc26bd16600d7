import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  tid: string;
  appid: string;
  exp: number;
  iat: number;
  /** Granted application permissions; absent when the app has none (as Entra omits the claim). */
  roles?: string[];
}

export interface TokenSigner {
  sign(tid: string, appid: string, lifetimeSeconds: number, roles: readonly string[]): string;
  /** Returns the claims of a valid, unexpired token signed by this simulator, else a reason. */
  verify(token: string): TokenClaims | { invalid: string };
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** HS256 JWTs with a per-simulator secret; verified signatures are cached (hot path). */
export function createTokenSigner(secret: Buffer = randomBytes(32)): TokenSigner {
  const header = b64({ typ: 'JWT', alg: 'HS256' });
  const cache = new Map<string, TokenClaims>();
  const mac = (data: string): Buffer => createHmac('sha256', secret).update(data).digest();

  return {
    sign(tid, appid, lifetimeSeconds, roles) {
      const iat = Math.floor(Date.now() / 1000);
      const payload = b64({
        aud: 'https://graph.microsoft.com',
        iss: `https://sts.windows.net/${tid}/`,
        iat,
        nbf: iat,
        exp: iat + lifetimeSeconds,
        tid,
        appid,
        appidacr: '1',
        // The app's granted application permissions at issue time ("Access token claims
        // reference", roles): a permission granted later needs a new token.
        ...(roles.length > 0 ? { roles: [...roles] } : {}),
        ver: '1.0',
      });
      const unsigned = `${header}.${payload}`;
      return `${unsigned}.${mac(unsigned).toString('base64url')}`;
    },
    verify(token) {
      let claims = cache.get(token);
      if (!claims) {
        const parts = token.split('.');
        if (parts.length !== 3) return { invalid: 'IDX14100: JWT is not well formed.' };
        const expected = mac(`${parts[0]}.${parts[1]}`);
        const given = Buffer.from(parts[2] ?? '', 'base64url');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          return { invalid: 'Invalid signature.' };
        }
        try {
          claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as TokenClaims;
        } catch {
          return { invalid: 'IDX14100: JWT is not well formed.' };
        }
        if (cache.size > 10_000) cache.clear();
        cache.set(token, claims);
      }
      if (claims.exp * 1000 <= Date.now())
        return { invalid: 'Lifetime validation failed, the token is expired.' };
      return claims;
    },
  };
}
