import type { GraphError } from '@microsoft/microsoft-graph-client';
import { createGraphClient, createMsalApp, msalAuthProvider } from '../graph-client';
import { mailbox, startHarness } from '../testing/harness';
import type { Harness } from '../testing/harness';

/**
 * Users and application permissions as Microsoft documents them (auth/permissions.ts and
 * user-routes.ts cite the pages): `/users/{id | userPrincipalName}`, a UPN that is not the email
 * address, `$filter` by mail or proxy address, and the roles of app-only tokens enforced per route.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ mailboxes: 2 });
});
afterAll(() => h.close());

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (error) {
    const e = error as GraphError;
    return `${e.statusCode} ${e.code}`;
  }
};

/** An app of the harness tenant granted exactly `roles`, with its own msal token cache. */
async function appWith(roles: string[]) {
  const app = await h.sim.admin.createApp(h.tenantId, { roles });
  const graph = () =>
    createGraphClient({
      simUrl: h.sim.url,
      caPem: h.sim.caPem,
      authProvider: msalAuthProvider(
        createMsalApp({ simUrl: h.sim.url, tenantId: h.tenantId, ...app, caPem: h.sim.caPem }),
      ),
    });
  return { ...app, graph };
}

test('a user is addressed by id or UPN; the UPN is not the email address, which is no key', async () => {
  const mb = mailbox(h, 0);
  expect(mb.userPrincipalName).not.toBe(mb.address);
  const byUpn = (await h.graph.api(`/users/${mb.userPrincipalName}`).get()) as Record<string, unknown>;
  expect(byUpn).toMatchObject({ id: mb.id, mail: mb.address, userPrincipalName: mb.userPrincipalName });
  expect(byUpn).not.toHaveProperty('proxyAddresses'); // returned only on $select
  expect(((await h.graph.api(`/users/${mb.id}`).get()) as { id: string }).id).toBe(mb.id);
  expect(await failure(h.graph.api(`/users/${mb.address}`).get())).toBe('404 Request_ResourceNotFound');
  expect(await failure(h.graph.api('/users/nobody@contoso.test').get())).toBe('404 Request_ResourceNotFound');
  expect(await failure(h.graph.api(`/users/${mb.address}/mailFolders/inbox`).get())).toBe(
    '404 ErrorInvalidUser',
  );
  const selected = (await h.graph.api(`/users/${mb.id}`).select('id,mail,proxyAddresses').get()) as Record<
    string,
    unknown
  >;
  expect(selected).toEqual({
    id: mb.id,
    mail: mb.address,
    proxyAddresses: [`SMTP:${mb.address}`, `smtp:${mb.userPrincipalName}`],
  });
});

test('$filter by mail or by proxy address finds the user; other filters are refused', async () => {
  const mb = mailbox(h, 1);
  const find = async (filter: string) =>
    (
      (await h.graph.api('/users').filter(filter).select('id,mail,userPrincipalName').get()) as {
        value: Array<Record<string, unknown>>;
      }
    ).value;
  const expected = [{ id: mb.id, mail: mb.address, userPrincipalName: mb.userPrincipalName }];
  expect(await find(`mail eq '${mb.address.toUpperCase()}'`)).toEqual(expected);
  expect(await find(`proxyAddresses/any(x:x eq 'smtp:${mb.address}')`)).toEqual(expected);
  expect(await find(`mail eq 'x@contoso.test' or proxyAddresses/any(p:p eq 'smtp:${mb.address}')`)).toEqual(
    expected,
  );
  expect(await find(`mail eq 'nobody@contoso.test'`)).toEqual([]);
  expect(await failure(h.graph.api('/users').filter(`displayName eq 'x'`).get())).toBe(
    '400 Request_UnsupportedQuery',
  );
  // An alias address of another user (a secondary proxy address) finds that user, whose mail differs.
  const aliased = await h.sim.admin.createMailbox(h.tenantId, {
    address: 'primary@contoso.test',
    proxyAddresses: ['SMTP:primary@contoso.test', 'smtp:second@contoso.test'],
  });
  expect(await find(`proxyAddresses/any(x:x eq 'smtp:second@contoso.test')`)).toEqual([
    { id: aliased.id, mail: 'primary@contoso.test', userPrincipalName: aliased.userPrincipalName },
  ]);
});

test('tokens carry the granted roles; a missing role is refused as documented per surface', async () => {
  const mb = mailbox(h, 0);
  const reader = await appWith(['Mail.Read']);
  const graph = reader.graph();
  // Mail.Read reads mail…
  expect(await failure(graph.api(`/users/${mb.id}/mailFolders/inbox`).get())).toBe('ok');
  // …but does not write it, send it, read the calendar, or read the directory.
  expect(await failure(graph.api(`/users/${mb.id}/messages`).post({ subject: 'x' }))).toBe(
    '403 ErrorAccessDenied',
  );
  expect(
    await failure(
      graph.api(`/users/${mb.id}/sendMail`).post({ message: { subject: 's', toRecipients: [] } }),
    ),
  ).toBe('403 ErrorAccessDenied');
  expect(await failure(graph.api(`/users/${mb.id}/events`).get())).toBe('403 ErrorAccessDenied');
  expect(await failure(graph.api(`/users/${mb.id}`).get())).toBe('403 Authorization_RequestDenied');
  expect(await failure(graph.api('/users').filter(`mail eq '${mb.address}'`).get())).toBe(
    '403 Authorization_RequestDenied',
  );
  // Granted now: a token issued before keeps its roles; a new one has it.
  await h.sim.admin.setAppRoles(h.tenantId, reader.clientId, ['Mail.Read', 'User.Read.All']);
  expect(await failure(graph.api(`/users/${mb.id}`).get())).toBe('403 Authorization_RequestDenied');
  expect(await failure(reader.graph().api(`/users/${mb.id}`).get())).toBe('ok');
});

test('an app with no permissions at all gets 401 NoPermissionsInAccessToken', async () => {
  const none = await appWith([]);
  const token = await createMsalApp({
    simUrl: h.sim.url,
    tenantId: h.tenantId,
    clientId: none.clientId,
    clientSecret: none.clientSecret,
    caPem: h.sim.caPem,
  }).acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
  const claims = JSON.parse(Buffer.from(token!.accessToken.split('.')[1]!, 'base64url').toString()) as object;
  expect(claims).not.toHaveProperty('roles');
  expect(
    await failure(
      none
        .graph()
        .api(`/users/${mailbox(h, 0).id}/mailFolders/inbox`)
        .get(),
    ),
  ).toBe('401 NoPermissionsInAccessToken');
});
