import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '@switchyard/audit';
import { ConflictError, NotFoundError, ValidationFailedError } from '@switchyard/errors';
import { Database } from '@switchyard/persistence';
import type { PipelineSpec } from '../pipeline/pipeline-spec';
import type { Release } from './release.entity';
import { ReleasesRepository } from './releases.repository';
import { ManifestResolver } from '../registry/manifest-resolver';
import { imageRepository } from '../kubernetes/manifest-set';
import { partyOf, sameParty } from '../policy/approval-parties';
import { ApprovalPartiesRepository } from '../policy/approval-parties.repository';
import { ReleasePoliciesRepository } from './release-policies.repository';
import {
  FourEyesError,
  ImageRefusedError,
  parsePolicy,
  pipelineShortfalls,
  imageShortfalls,
  samePolicy,
  policyFromPipeline,
  PolicyRequiredError,
  PolicyViolationError,
  type ReleasePolicy,
  type StoredPolicy,
} from '../policy/release-policy';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Release policies: kept by the server, changed by admins only (the controller's scope), each change
 * versioned and audited with before and after; and the checks that hold releases to them.
 */
@Injectable()
export class ReleasePoliciesService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly releases: ReleasesRepository,
    private readonly manifests: ManifestResolver,
    private readonly policies: ReleasePoliciesRepository,
    private readonly parties: ApprovalPartiesRepository,
  ) {}

  async get(service: string): Promise<StoredPolicy> {
    const stored = await this.db.transaction((manager) => this.find(manager, service));
    if (!stored) throw new NotFoundError('release policy of service', service);
    return stored;
  }

  async find(manager: EntityManager, service: string, forUpdate = false): Promise<StoredPolicy | undefined> {
    return this.policies.find(manager, service, forUpdate);
  }

  /** Creates or replaces the policy; `ifMatch` (the ETag, the version) guards against a lost update. */
  async put(actor: string, service: string, input: unknown, ifMatch?: number): Promise<StoredPolicy> {
    const policy = parsePolicy(input);
    return this.db.transaction(async (manager) => {
      const current = await this.find(manager, service, true);
      if (ifMatch !== undefined && current?.version !== ifMatch) {
        throw new ConflictError(`the release policy of ${service} is at version ${current?.version ?? 'none'}, not ${ifMatch}; read it again`, {
          currentVersion: current?.version ?? null,
        });
      }
      if (current && samePolicy(current.policy, policy)) return current;
      return this.write(manager, actor, service, current, policy, 'release-policy.updated', {});
    });
  }

  /** An admin accepts what a first release of the service proposes (its pipeline's environments and repository). */
  async accept(actor: string, service: string, releaseId: string): Promise<StoredPolicy> {
    return this.db.transaction(async (manager) => {
      const release = UUID.test(releaseId) ? await this.releases.find(manager, releaseId) : undefined;
      if (!release || release.service !== service) {
        throw new ValidationFailedError([{ path: 'releaseId', problem: `is not a release of ${service}` }]);
      }
      const proposed = release.pipeline ? policyFromPipeline(release.pipeline) : null;
      if (!proposed) throw new ValidationFailedError([{ path: 'releaseId', problem: 'the release has no deploy section to derive a policy from' }]);
      const current = await this.find(manager, service, true);
      if (current) {
        throw new ConflictError(`${service} already has a release policy (version ${current.version}); change it with PUT /api/v1/services/${service}/policy`, {
          currentVersion: current.version,
        });
      }
      return this.write(manager, actor, service, undefined, parsePolicy(proposed), 'release-policy.accepted', { releaseId });
    });
  }

  /** A new release may not ask for less than an existing policy (an unknown service's first release is its proposal). */
  async checkNewRelease(manager: EntityManager, service: string, spec: PipelineSpec): Promise<void> {
    const stored = await this.find(manager, service);
    if (!stored) return;
    const problems = pipelineShortfalls(stored.policy, spec);
    if (problems.length) throw new PolicyViolationError(service, stored.version, problems);
  }

  /**
   * Before a rollout starts: a policy exists, the pipeline asks no less than it, and the image is
   * from an allowed repository, pinned by digest, and present in its registry. Returns the policy.
   */
  async admit(release: Release): Promise<ReleasePolicy> {
    const stored = await this.db.transaction((manager) => this.find(manager, release.service));
    if (!stored) throw new PolicyRequiredError(release.service, release.id, release.pipeline ? policyFromPipeline(release.pipeline) : null);
    const problems = release.pipeline ? pipelineShortfalls(stored.policy, release.pipeline) : [];
    if (problems.length) throw new PolicyViolationError(release.service, stored.version, problems);
    const imageProblems = imageShortfalls(stored.policy, release);
    if (imageProblems.length) throw new ImageRefusedError(imageProblems);
    const lookup = await this.manifests.lookup(imageRepository(release.imageReference as string), release.imageDigest as string);
    if (!lookup.found) throw new ImageRefusedError([{ path: 'imageDigest', problem: lookup.problem }]);
    return stored.policy;
  }

  /**
   * Four-eyes, unless the environment's policy opts out: neither who created the release nor who
   * started its rollout — nor a token either created, nor another actor of the same person — approves it.
   */
  async checkApprover(manager: EntityManager, approver: string, gate: { service: string; environment: string; starters: string[] }): Promise<void> {
    const stored = await this.find(manager, gate.service);
    if (stored?.policy.environments[gate.environment]?.fourEyes === false) return;
    const tokenCreators = (tokenName: string) => this.parties.tokenCreators(manager, tokenName);
    const party = await partyOf(tokenCreators, approver);
    for (const starter of [...new Set(gate.starters)]) {
      const reason = sameParty(await partyOf(tokenCreators, starter), party);
      if (reason) {
        throw new FourEyesError(
          `four-eyes: ${approver} cannot approve this release in ${gate.environment} because ${reason}; another person must approve ` +
            `(the release policy of ${gate.service} can opt ${gate.environment} out with fourEyes: false)`,
        );
      }
    }
  }

  private async write(
    manager: EntityManager,
    actor: string,
    service: string,
    current: StoredPolicy | undefined,
    policy: ReleasePolicy,
    action: string,
    meta: Record<string, unknown>,
  ): Promise<StoredPolicy> {
    const version = (current?.version ?? 0) + 1;
    await this.policies.upsert(manager, { service, version, policy, actor });
    await this.audit.record(manager, {
      actor,
      action,
      target: `service:${service}`,
      before: current?.policy ?? null,
      after: policy,
      meta: { ...meta, service, version, previousVersion: current?.version ?? null },
    });
    return (await this.find(manager, service)) as StoredPolicy;
  }
}
