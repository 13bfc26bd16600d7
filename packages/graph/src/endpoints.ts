/**
 * Where a profile's client secret and tokens may be sent. The hosts are Microsoft's documented root
 * endpoints ("Microsoft Graph national cloud deployments", https://learn.microsoft.com/graph/deployments:
 * "App registration and token service root endpoints" and "Microsoft Graph and Graph Explorer service
 * root endpoints"); login.partner.microsoftonline.cn is Microsoft Entra's endpoint for the cloud
 * operated by 21Vianet. Any other host (the Graph simulator, a test server) must be allowed by the
 * deployment (GRAPH_ALLOWED_HOSTS): otherwise whoever can change a profile's URLs — or a row in the
 * database — could have the secret posted to a host of their choosing.
 */
export const MICROSOFT_AUTHORITY_HOSTS = [
  'login.microsoftonline.com', // global
  'login.microsoftonline.us', // US Government (L4 GCC High, L5 DoD)
  'login.chinacloudapi.cn', // China, operated by 21Vianet
  'login.partner.microsoftonline.cn', // China, operated by 21Vianet
] as const;

export const MICROSOFT_GRAPH_HOSTS = [
  'graph.microsoft.com', // global
  'graph.microsoft.us', // US Government L4
  'dod-graph.microsoft.us', // US Government L5 (DoD)
  'microsoftgraph.chinacloudapi.cn', // China, operated by 21Vianet
] as const;

export type EndpointKind = 'authority' | 'graph';

/**
 * Why `url` may not be used as an authority or Graph base URL, or undefined when it may.
 * `extraHosts` are "host" or "host:port" entries the deployment allows besides Microsoft's.
 */
export function endpointProblem(
  url: string,
  kind: EndpointKind,
  extraHosts: readonly string[] = [],
): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an https:// URL';
  }
  if (parsed.protocol !== 'https:') return 'must be an https:// URL';
  if (parsed.username || parsed.password) return 'must not contain credentials';
  const microsoft: readonly string[] =
    kind === 'authority' ? MICROSOFT_AUTHORITY_HOSTS : MICROSOFT_GRAPH_HOSTS;
  if (microsoft.includes(parsed.hostname) && parsed.port === '') return undefined;
  const extra = extraHosts.map((h) => h.trim().toLowerCase()).filter(Boolean);
  if (extra.includes(parsed.host) || (parsed.port === '' && extra.includes(parsed.hostname)))
    return undefined;
  return `host ${parsed.host} is not a Microsoft ${kind === 'authority' ? 'sign-in' : 'Graph'} endpoint (${microsoft.join(', ')}); other hosts must be allowed with GRAPH_ALLOWED_HOSTS`;
}
