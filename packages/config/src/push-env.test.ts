import { parseEnv } from './env';
import { pushEnvSchema, webhookEnvSchema } from './push-env';

test('WEBHOOK_PUBLIC_URL: https only (Microsoft requires it); empty means unset (the fleet polls)', () => {
  expect(
    parseEnv(pushEnvSchema, { WEBHOOK_PUBLIC_URL: 'https://hooks.example.org/graph' }).WEBHOOK_PUBLIC_URL,
  ).toBe('https://hooks.example.org/graph');
  expect(parseEnv(pushEnvSchema, { WEBHOOK_PUBLIC_URL: '' }).WEBHOOK_PUBLIC_URL).toBeUndefined();
  expect(parseEnv(pushEnvSchema, {}).WEBHOOK_PUBLIC_URL).toBeUndefined();
  expect(() => parseEnv(pushEnvSchema, { WEBHOOK_PUBLIC_URL: 'http://hooks.example.org' })).toThrow(
    /WEBHOOK_PUBLIC_URL.*https:/s,
  );
});

test('subscription lifetime within Graph’s Outlook maximum (4,230 minutes); defaults documented', () => {
  expect(parseEnv(pushEnvSchema, {})).toMatchObject({
    PUSH_SUBSCRIPTION_LIFETIME_MIN: 4230,
    PUSH_RENEW_BEFORE_SEC: 43_200,
    PUSH_ALERT_AFTER_SEC: 900,
  });
  expect(() => parseEnv(pushEnvSchema, { PUSH_ALERT_AFTER_SEC: '-1' })).toThrow(/PUSH_ALERT_AFTER_SEC/);
  expect(() => parseEnv(pushEnvSchema, { PUSH_SUBSCRIPTION_LIFETIME_MIN: '10080' })).toThrow(
    /PUSH_SUBSCRIPTION_LIFETIME_MIN/,
  );
  expect(parseEnv(webhookEnvSchema, {})).toMatchObject({
    WEBHOOK_PORT: 3443,
    WEBHOOK_BODY_LIMIT_BYTES: 1_048_576,
  });
});
