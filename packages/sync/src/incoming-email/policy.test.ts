import { deltaFilter, shouldPromote } from './policy';

const facts = { correlated: false, senderIsContact: false, inTrackedFolder: false };

describe('promotion policy', () => {
  it('applies each filter; a tracked folder always promotes', () => {
    expect(shouldPromote('All', facts)).toBe(true);
    expect(shouldPromote('None', facts)).toBe(false);
    expect(shouldPromote('ResponsesToAppEmail', facts)).toBe(false);
    expect(shouldPromote('ResponsesToAppEmail', { ...facts, correlated: true })).toBe(true);
    expect(shouldPromote('FromKnownContacts', { ...facts, correlated: true })).toBe(false);
    expect(shouldPromote('FromKnownContacts', { ...facts, senderIsContact: true })).toBe(true);
    expect(shouldPromote('None', { ...facts, inTrackedFolder: true })).toBe(true);
  });
  it('filters delta on receivedDateTime ge Process Email From', () => {
    expect(deltaFilter(null)).toBeNull();
    expect(deltaFilter(new Date('2026-01-02T03:04:05Z'))).toBe('receivedDateTime ge 2026-01-02T03:04:05Z');
  });
});
