import { sameParty, type Party } from './approval-parties';

const party = (actor: string, chain: string[] = [], people: string[] = []): Party => ({ actor, chain: new Set([actor, ...chain]), people: new Set(people) });

describe('sameParty (four-eyes)', () => {
  const ada = party('user:ada@example.com', [], ['user:ada@example.com']);
  const adasCi = party('token:ci', ['user:ada@example.com'], ['user:ada@example.com']);
  const adasOtherToken = party('token:ada-approver', ['user:ada@example.com'], ['user:ada@example.com']);
  const bob = party('user:bob@example.com', [], ['user:bob@example.com']);
  const bootstrap = party('token:bootstrap-admin', ['system']);
  const bootstrapsCi = party('token:ci-jenkins', ['token:bootstrap-admin', 'system']);
  const bootstrapsApprover = party('token:release-manager', ['token:bootstrap-admin', 'system']);

  it('refuses the starter itself', () => {
    expect(sameParty(ada, ada)).toBe('user:ada@example.com started it');
  });

  it('refuses the person whose token started it, and another token of that person', () => {
    expect(sameParty(adasCi, ada)).toBe('user:ada@example.com created token:ci, which started it');
    expect(sameParty(adasCi, adasOtherToken)).toBe('token:ada-approver and token:ci, which started it, both act for user:ada@example.com');
    expect(sameParty(ada, adasCi)).toBe('token:ci was created by user:ada@example.com, which started it');
  });

  it('refuses the token that created the starting token', () => {
    expect(sameParty(bootstrapsCi, bootstrap)).toBe('token:bootstrap-admin created token:ci-jenkins, which started it');
  });

  it('allows another person, and a sibling token no person stands behind', () => {
    expect(sameParty(adasCi, bob)).toBeUndefined();
    expect(sameParty(bootstrapsCi, bootstrapsApprover)).toBeUndefined();
  });
});
