import { routeTemplate } from './route-template';

describe('routeTemplate', () => {
  it.each([
    [
      'https://graph.microsoft.com/v1.0/users/adele%40contoso.com/mailFolders/inbox/messages/delta?$deltatoken=abc',
      '/v1.0/users/{id}/mailFolders/inbox/messages/delta',
    ],
    [
      'https://graph.microsoft.com/v1.0/users/8f2e1c3a-0000-4b1f-9c7a-2f4e8b1c3a5d/messages/AAMkAGI2TG93AAA=/send',
      '/v1.0/users/{id}/messages/{id}/send',
    ],
    [
      "https://127.0.0.1:4443/v1.0/users/u@x.test/mailFolders('Inbox')/messages",
      '/v1.0/users/{id}/mailFolders({id})/messages',
    ],
    [
      'https://graph.microsoft.com/beta/users/u@x.test/todo/lists/AQMkADAw/tasks/delta()',
      '/beta/users/{id}/todo/lists/{id}/tasks/delta()',
    ],
    ['https://graph.microsoft.com/v1.0/$batch', '/v1.0/$batch'],
    [
      'https://graph.microsoft.com/v1.0/subscriptions/7f1e3c2a-9b7d-4e6f-8a1c-0d2b4c6e8f10',
      '/v1.0/subscriptions/{id}',
    ],
  ])('%s → %s', (url, route) => {
    expect(routeTemplate(url).route).toBe(route);
  });

  it('never keeps an address, a token or a query string', () => {
    const { host, route } = routeTemplate(
      "https://graph.microsoft.com/v1.0/users/adele@contoso.com/messages?$skiptoken=secret-token&$filter=from/emailAddress/address eq 'bob@contoso.com'",
    );
    expect(host).toBe('graph.microsoft.com');
    expect(route).not.toMatch(/@|token|contoso|\?/);
  });
});
