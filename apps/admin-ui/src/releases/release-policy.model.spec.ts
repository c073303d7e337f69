import { ApiError } from '../api/api-client';
import type { ReleasePolicy } from '../../../../libs/deploy/src/policy/release-policy.contract';
import { draftOf, draftProblems, environmentPath, fieldPaths, policyOf, problemsExactlyAt, proposedPolicyOf } from './release-policy.model';

const POLICY: ReleasePolicy = {
  environments: {
    staging: { namespace: 'quotes-staging', approval: 'none', fourEyes: true },
    production: { namespace: 'quotes-prod', approval: 'required', fourEyes: false },
  },
  repositories: ['registry.example.com/team/quotes'],
};

describe('release policy model', () => {
  it('turns a policy into form rows and back', () => {
    const draft = draftOf(POLICY);
    expect(draft.environments.map((e) => e.name)).toEqual(['staging', 'production']);
    expect(draft.environments[1]).toEqual({ name: 'production', namespace: 'quotes-prod', approval: 'required', fourEyes: false });
    expect(policyOf(draft)).toEqual(POLICY);
  });

  it('starts a new policy with one empty environment and repository, four-eyes on', () => {
    expect(draftOf(null)).toEqual({ environments: [{ name: '', namespace: '', approval: 'none', fourEyes: true }], repositories: [''] });
  });

  it('trims what people type but keeps every repository row, so `repositories[i]` names row i', () => {
    const draft = { environments: [{ name: ' qa ', namespace: ' quotes-qa', approval: 'none' as const, fourEyes: true }], repositories: [' a/b ', '', 'c/d'] };
    expect(policyOf(draft)).toEqual({ environments: { qa: { namespace: 'quotes-qa', approval: 'none', fourEyes: true } }, repositories: ['a/b', '', 'c/d'] });
  });

  it('reports rows that would collapse into one environment', () => {
    const row = { name: 'qa', namespace: 'x', approval: 'none' as const, fourEyes: true };
    const draft = { environments: [row, { ...row, name: 'qa ' }, { ...row, name: '' }, { ...row, name: '' }, { ...row, name: 'prod' }], repositories: [] };
    expect(draftProblems(draft)).toEqual([
      { path: 'environments.qa', problem: 'is listed more than once' },
      { path: 'environments.', problem: 'each environment needs a name' },
    ]);
    expect(draftProblems(draftOf(POLICY))).toEqual([]);
  });

  it("places the server's detail paths on the row fields, exactly", () => {
    const draft = draftOf(POLICY);
    const details = [
      { path: 'environments.production', problem: 'the environment name must be a DNS label' },
      { path: 'environments.production.namespace', problem: 'must be a namespace name (a DNS label)' },
      { path: 'repositories[0]', problem: 'must be an image repository' },
      { path: 'surprise', problem: 'is not a policy field' },
    ];
    expect(problemsExactlyAt(details, environmentPath(draft.environments[1]))).toEqual(['the environment name must be a DNS label']);
    expect(problemsExactlyAt(details, environmentPath(draft.environments[1], 'namespace'))).toEqual(['must be a namespace name (a DNS label)']);
    const shown = fieldPaths(draft);
    expect(details.filter((d) => !shown.includes(d.path)).map((d) => d.path)).toEqual(['surprise']);
    expect(shown).toContain('environments.staging.fourEyes');
  });

  it('reads the proposal from a 409 POLICY_REQUIRED only', () => {
    const required = new ApiError(409, 'POLICY_REQUIRED', 'no policy', [], { proposedPolicy: POLICY });
    expect(proposedPolicyOf(required)).toEqual(POLICY);
    expect(proposedPolicyOf(new ApiError(409, 'POLICY_REQUIRED', 'no policy', [], { proposedPolicy: null }))).toBeNull();
    expect(proposedPolicyOf(new ApiError(409, 'CONFLICT', 'locked'))).toBeUndefined();
    expect(proposedPolicyOf(new Error('network'))).toBeUndefined();
  });
});
