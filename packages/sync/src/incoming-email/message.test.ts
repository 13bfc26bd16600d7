import { normalizeSubject, smartMatchHash } from './correlation';
import { messageIds, parseDeltaEntry, type ParsedMessage } from './message';

const raw = {
  id: 'AAMk1',
  internetMessageId: '<a@x>',
  subject: 'Hi\u0000',
  receivedDateTime: '2026-11-01T10:00:00Z',
  from: { emailAddress: { address: 'Ann@X.test', name: 'Ann' } },
  toRecipients: [{ emailAddress: { address: 'b@y.test' } }],
  body: { contentType: 'html', content: '<p>x</p>' },
  internetMessageHeaders: [
    { name: 'In-Reply-To', value: '<p@x>' },
    { name: 'References', value: '<o@x> <p@x>' },
    { name: 'X-Syncfleet-Id', value: 'abc' },
  ],
};

describe('delta entries', () => {
  it('parses a message: lower-cased addresses, thread headers, our header, NUL stripped', () => {
    const e = parseDeltaEntry(raw);
    expect(e.kind).toBe('message');
    const m = (e as { message: ParsedMessage }).message;
    expect(m).toMatchObject({
      subject: 'Hi',
      from: { address: 'ann@x.test', name: 'Ann' },
      bodyHtml: '<p>x</p>',
      bodyText: null,
      inReplyTo: '<p@x>',
      references: ['<o@x>', '<p@x>'],
      syncfleetId: 'abc',
    });
  });
  it('classifies removals and malformed items', () => {
    expect(parseDeltaEntry({ id: 'x', '@removed': { reason: 'deleted' } })).toEqual({
      kind: 'removed',
      graphId: 'x',
    });
    expect(parseDeltaEntry({ ...raw, internetMessageId: null })).toMatchObject({ kind: 'malformed' });
    expect(parseDeltaEntry({ ...raw, receivedDateTime: 'soon' })).toMatchObject({ kind: 'malformed' });
    expect(
      parseDeltaEntry({ ...raw, toRecipients: [{ emailAddress: { address: 'not an address' } }] }),
    ).toMatchObject({ kind: 'malformed' });
    expect(parseDeltaEntry({})).toMatchObject({ kind: 'malformed', graphId: null });
    // A partial update (delta-query-overview: id + at least the changed properties) is not malformed.
    expect(parseDeltaEntry({ id: 'p', changeKey: 'ck2', parentFolderId: 'f', isRead: true })).toEqual({
      kind: 'partial',
      graphId: 'p',
      changeKey: 'ck2',
    });
    expect(messageIds('<a@x>  <b@y>')).toEqual(['<a@x>', '<b@y>']);
  });
  it('smart matching ignores reply prefixes, tokens, case and who is sender', () => {
    expect(normalizeSubject('RE: AW: Fw: Price list CRM:0001001', 'CRM')).toEqual(['price', 'list']);
    const a = {
      subject: 'Price list',
      from: { address: 'a@x' },
      to: [{ address: 'b@y' }],
      cc: [],
    } as unknown as ParsedMessage;
    const b = {
      subject: 'RE: price LIST',
      from: { address: 'b@y' },
      to: [{ address: 'a@x' }],
      cc: [],
    } as unknown as ParsedMessage;
    expect(smartMatchHash(a, 'CRM')).toBe(smartMatchHash(b, 'CRM'));
    expect(smartMatchHash({ ...a, subject: 'Other' }, 'CRM')).not.toBe(smartMatchHash(a, 'CRM'));
  });
});
