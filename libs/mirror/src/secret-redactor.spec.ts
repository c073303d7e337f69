import { REDACTED, SecretRedactor } from './secret-redactor';

describe('SecretRedactor', () => {
  const redactor = new SecretRedactor(['x-tenant-key']);

  it('masks credential headers, configured scrub headers and secret-looking names', () => {
    expect(redactor.headersOf({ Authorization: 'Bearer abc', cookie: 'sid=1', 'x-tenant-key': 'k', 'x-session-id': 's', accept: 'json' })).toEqual({
      authorization: REDACTED,
      cookie: REDACTED,
      'x-tenant-key': REDACTED,
      'x-session-id': REDACTED,
      accept: 'json',
    });
  });

  it('masks secret query parameters and JSON keys at any depth', () => {
    expect(redactor.url('/login?user=a&password=hunter2&api_key=z')).toBe(`/login?user=a&password=${REDACTED}&api_key=${REDACTED}`);
    expect(redactor.value({ user: { name: 'a', password: 'p', tokens: ['t'] }, list: [{ secret: 1 }] })).toEqual({
      user: { name: 'a', password: REDACTED, tokens: REDACTED },
      list: [{ secret: REDACTED }],
    });
    expect(redactor.text('user=a&token=abc&x=1 "password": "p"')).toBe(`user=a&token=${REDACTED}&x=1 "password": "${REDACTED}"`);
  });
});
