import { aadError } from '../http/errors';
import type { SimRequest, SimResponse } from '../http/types';
import type { Store } from '../store/store';
import type { TokenSigner } from './tokens';

/**
 * The openid-configuration msal-node needs as `authorityMetadata` so that, together with
 * `knownAuthorities`, it makes no discovery calls (only POST token).
 */
export function openIdConfiguration(simUrl: string, tenantId: string): Record<string, unknown> {
  return {
    token_endpoint: `${simUrl}/${tenantId}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${simUrl}/${tenantId}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${simUrl}/${tenantId}/v2.0`,
    authorization_endpoint: `${simUrl}/${tenantId}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${simUrl}/${tenantId}/oauth2/v2.0/logout`,
    tenant_region_scope: 'EU',
  };
}

export function authorityMetadataFor(simUrl: string, tenantId: string): string {
  return JSON.stringify(openIdConfiguration(simUrl.replace(/\/$/, ''), tenantId));
}

function formField(body: unknown, name: string): string | undefined {
  if (body instanceof URLSearchParams) return body.get(name) ?? undefined;
  if (body && typeof body === 'object') {
    const value = (body as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/** POST /{tenant}/oauth2/v2.0/token — client credentials grant with a client secret. */
export function tokenEndpoint(
  req: SimRequest,
  tenantSegment: string,
  deps: { store: Store; signer: TokenSigner; lifetimeSeconds: () => number },
): SimResponse {
  const body = typeof req.body === 'string' ? new URLSearchParams(req.body) : req.body;
  const grantType = formField(body, 'grant_type');
  const clientId = formField(body, 'client_id');
  const secret = formField(body, 'client_secret');
  if (grantType !== 'client_credentials') {
    return aadError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType ?? ''}'.`,
    );
  }
  const tenant = deps.store.tenants.get(tenantSegment);
  if (!tenant) {
    return aadError(400, 'invalid_request', 90002, `Tenant '${tenantSegment}' not found.`);
  }
  const app = clientId ? tenant.apps.get(clientId) : undefined;
  if (!app) {
    return aadError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId ?? ''}' was not found in the directory '${tenant.id}'.`,
    );
  }
  if (!secret) {
    return aadError(
      401,
      'invalid_client',
      7000216,
      "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
    );
  }
  if (secret !== app.clientSecret) {
    return aadError(
      401,
      'invalid_client',
      7000215,
      'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
    );
  }
  if (app.secretExpiresAt && Date.parse(app.secretExpiresAt) <= Date.now()) {
    // Entra ID error codes: AADSTS7000222 InvalidClientSecretExpiredKeysProvided ("The provided
    // client secret keys are expired"); the message names the fix, as real responses do.
    return aadError(
      401,
      'invalid_client',
      7000222,
      `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    );
  }
  const lifetime = deps.lifetimeSeconds();
  return {
    status: 200,
    headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
    body: {
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: deps.signer.sign(tenant.id, app.clientId, lifetime, app.roles),
    },
  };
}
