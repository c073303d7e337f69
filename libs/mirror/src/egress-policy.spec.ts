import { EgressPolicy, EgressRuleError } from './egress-policy';

describe('EgressPolicy', () => {
  describe('without a list', () => {
    it.each([
      ['http://169.254.169.254/latest/meta-data/', /cloud metadata address/],
      ['http://[fd00:ec2::254]/', /cloud metadata address/],
      ['http://2852039166/', /169\.254\.169\.254 is a cloud metadata address/],
      ['http://[::ffff:169.254.169.254]/', /169\.254\.169\.254 is a cloud metadata address/],
      ['http://169.254.10.1/', /link-local/],
      ['http://[fe80::1]/', /link-local/],
      ['http://127.0.0.1:8080/', /loopback address/],
      ['http://0x7f.1/', /127\.0\.0\.1 is a loopback address/],
      ['http://[::1]/', /loopback address/],
      ['http://0.0.0.0/', /unspecified/],
      ['http://[::]/', /unspecified/],
      ['http://metadata.google.internal/', /cloud metadata name/],
      ['http://Metadata.Google.Internal./', /cloud metadata name/],
      ['http://localhost:3000/', /loopback name/],
    ])('refuses %s', (target, problem) => {
      expect(EgressPolicy.OPEN.refusal(target)).toMatch(problem);
    });

    it.each(['http://10.0.0.5:8080/', 'https://orders.production.svc.cluster.local', 'http://[fd00::1]/', 'https://example.com/'])('allows %s', (target) => {
      expect(EgressPolicy.OPEN.refusal(target)).toBeUndefined();
    });
  });

  describe('with a list', () => {
    const policy = EgressPolicy.allowing('10.0.0.0/8, orders.internal:8080, *.svc.cluster.local, [fd00::1]:80, 127.0.0.1, 0.0.0.0/0, metadata.google.internal');

    it.each([
      'http://10.1.2.3/',
      'http://orders.internal:8080/x',
      'http://a.b.svc.cluster.local/',
      'http://[fd00::1]/',
      'http://127.0.0.1:9/',
      'http://8.8.8.8/',
      'http://metadata.google.internal/',
    ])('allows %s', (target) => {
      expect(policy.refusal(target)).toBeUndefined();
    });

    it.each([
      ['http://orders.internal/', /orders\.internal:80 is not in MIRROR_ALLOWED_TARGETS/],
      ['http://billing.internal/', /not in MIRROR_ALLOWED_TARGETS/],
      ['http://[fd00::1]:81/', /not in MIRROR_ALLOWED_TARGETS/],
      ['http://[fd00::2]/', /not in MIRROR_ALLOWED_TARGETS/],
      // 0.0.0.0/0 is not an explicit listing of guarded addresses.
      ['http://169.254.169.254/', /cloud metadata address; allow it by listing it/],
      ['http://127.0.0.2/', /loopback address/],
      ['http://[::1]/', /loopback address/],
      ['http://localhost/', /loopback name/],
    ])('refuses %s', (target, problem) => {
      expect(policy.refusal(target)).toMatch(problem);
    });

    it('allows a guarded range listed by itself, and CIDRs in IPv6', () => {
      const loopback = EgressPolicy.allowing('127.0.0.0/8,::1,fe80::/10');
      expect(loopback.refusal('http://127.0.0.9/')).toBeUndefined();
      expect(loopback.refusal('http://[::1]:8080/')).toBeUndefined();
      expect(loopback.refusal('http://[fe80::1234]/')).toBeUndefined();
      expect(loopback.refusal('http://169.254.169.254/')).toMatch(/metadata/);
    });
  });

  it.each(['', '10.0.0.0/33', 'fd00::/129', 'host:0', 'host:99999', 'bad_name', 'a b', '[fd00::1', 'http://x'])('rejects the list %j', (list) => {
    expect(() => EgressPolicy.allowing(list)).toThrow(EgressRuleError);
  });
});
