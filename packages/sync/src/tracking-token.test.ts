import { appendTrackingToken, findTrackingToken, formatTrackingToken } from './tracking-token';

describe('tracking token', () => {
  it('formats prefix:user(4)counter(3+)', () => {
    expect(formatTrackingToken('CRM', 1, 1)).toBe('CRM:0001001');
    expect(formatTrackingToken('CRM', 12, 4567)).toBe('CRM:00124567');
    expect(() => formatTrackingToken('C R', 1, 1)).toThrow();
    expect(() => formatTrackingToken('CRM', 10_000, 1)).toThrow();
  });
  it('finds the token in a reply subject, not glued to other words', () => {
    expect(findTrackingToken('RE: Quote crm:0001001 please', 'CRM')).toBe('CRM:0001001');
    expect(findTrackingToken('XCRM:0001001', 'CRM')).toBeNull();
    expect(findTrackingToken('CRM:12', 'CRM')).toBeNull();
    expect(findTrackingToken('TKT:0002003 x', 'TKT')).toBe('TKT:0002003');
    expect(findTrackingToken(null, 'CRM')).toBeNull();
  });
  it('appends within 255 characters, truncating the subject but never the token', () => {
    expect(appendTrackingToken('Quote', 'CRM:0001001')).toBe('Quote CRM:0001001');
    expect(appendTrackingToken('', 'CRM:0001001')).toBe('CRM:0001001');
    const long = appendTrackingToken('x'.repeat(300), 'CRM:0001001');
    expect(long).toHaveLength(255);
    expect(long.endsWith(' CRM:0001001')).toBe(true);
    expect(appendTrackingToken('Quote CRM:0001001', 'CRM:0001001')).toBe('Quote CRM:0001001');
    expect(appendTrackingToken(`${'a'.repeat(242)}😀x`, 'CRM:0001001')).not.toMatch(/\uD83D /);
  });
});
