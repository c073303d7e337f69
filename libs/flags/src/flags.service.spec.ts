import type { AppConfig } from '@switchyard/config';
import type { CreateFlagInput } from './flag.schemas';
import { FlagsService, type WriteContext } from './flags.service';
import { inMemoryFlagsWorld } from './testing/in-memory-flags.repository';

// FlagsService's rules (validation, optimistic concurrency, confirmation, versions, audit, what is
// published) over the in-memory repository; the SQL itself is covered by test/e2e/flags.
function setUp(environments: Array<{ key: string; requiresConfirmation?: boolean; requiresComment?: boolean }> = [{ key: 'staging' }, { key: 'production' }]) {
  const world = inMemoryFlagsWorld();
  for (const env of environments) world.repo.addEnvironment(env.key, { requiresConfirmation: env.requiresConfirmation, requiresComment: env.requiresComment });
  const config = { staleAfterMs: 30 * 86_400_000 } as AppConfig;
  const service = new FlagsService(world.db, world.repo, world.auditService, world.publisher, config);
  return { ...world, service };
}

const ada: WriteContext = { actor: 'user:ada@example.com' };
const checkout: CreateFlagInput = { key: 'new-checkout', type: 'boolean' };

describe('FlagsService', () => {
  describe('createFlag', () => {
    it('creates a boolean flag off in every environment, records version 1 and publishes each environment', async () => {
      const { service, audit, published, repo } = setUp();
      const flag = await service.createFlag({ ...checkout, name: 'New checkout', tags: ['team:payments'] }, ada);

      expect(flag).toMatchObject({
        key: 'new-checkout',
        name: 'New checkout',
        type: 'boolean',
        variants: { on: true, off: false },
        version: 1,
        archived: false,
      });
      expect(Object.keys(flag.environments)).toEqual(['production', 'staging']);
      expect(flag.environments.production).toMatchObject({ enabled: false, offVariant: 'off', rules: [], defaultServe: { variant: 'on' }, version: 1 });
      expect(await service.getFlag('new-checkout')).toEqual(flag);
      expect((await service.versions('new-checkout')).map((v) => [v.version, v.actor])).toEqual([[1, 'user:ada@example.com']]);
      expect(audit).toEqual([expect.objectContaining({ action: 'flag.created', target: 'flag:new-checkout', actor: 'user:ada@example.com' })]);
      expect(published).toEqual([
        [
          { environment: 'staging', version: 1, flagKeys: ['new-checkout'], segmentKeys: [], actor: 'user:ada@example.com' },
          { environment: 'production', version: 1, flagKeys: ['new-checkout'], segmentKeys: [], actor: 'user:ada@example.com' },
        ],
      ]);
      expect((await repo.environments()).map((e) => e.version)).toEqual([1, 1]);
    });

    it('applies targeting given at creation', async () => {
      const { service } = setUp();
      const flag = await service.createFlag(
        {
          ...checkout,
          environments: {
            staging: {
              enabled: true,
              defaultServe: {
                rollout: [
                  { variant: 'on', weight: 25000 },
                  { variant: 'off', weight: 75000 },
                ],
              },
            },
          },
        },
        ada,
      );
      expect(flag.environments.staging.enabled).toBe(true);
      expect(flag.environments.staging.defaultServe).toMatchObject({
        rollout: [
          { variant: 'on', weight: 25000 },
          { variant: 'off', weight: 75000 },
        ],
        salt: expect.any(String),
      });
      expect(flag.environments.production.enabled).toBe(false);
    });

    it('refuses a key that is taken with a 409 naming the key', async () => {
      const { service, audit, published } = setUp();
      await service.createFlag(checkout, ada);
      await expect(service.createFlag(checkout, ada)).rejects.toMatchObject({
        code: 'CONFLICT',
        status: 409,
        details: [{ path: 'key', problem: 'is already taken' }],
      });
      expect(audit).toHaveLength(1);
      expect(published).toHaveLength(1);
    });

    it('refuses a non-boolean flag without variants', async () => {
      const { service } = setUp();
      await expect(service.createFlag({ key: 'theme', type: 'string' }, ada)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        status: 400,
        details: [{ path: 'variants', problem: 'a string flag needs at least one variant' }],
      });
    });

    it('names an unknown environment and a rule serving an unknown variant, and stores nothing', async () => {
      const { service, audit, published } = setUp();
      await expect(service.createFlag({ ...checkout, environments: { qa: { enabled: true } } }, ada)).rejects.toMatchObject({
        status: 400,
        details: [{ path: 'environments.qa', problem: 'is not an environment' }],
      });
      const badRule = { conditions: [{ attribute: 'country', operator: 'in', values: ['NO'] }], serve: { variant: 'maybe' } };
      const failure = await service
        .createFlag({ ...checkout, environments: { production: { rules: [badRule] } } } as CreateFlagInput, ada)
        .catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
      expect((failure as { details: Array<{ path: string }> }).details[0].path).toMatch(/^environments\.production\.rules\[0\]\./);
      await expect(service.getFlag('new-checkout')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
      expect(audit).toEqual([]);
      expect(published).toEqual([]);
    });

    it('asks for confirmation and a comment only when targeting touches a guarded environment', async () => {
      const { service } = setUp([{ key: 'staging' }, { key: 'production', requiresConfirmation: true, requiresComment: true }]);
      // Off everywhere: nothing that evaluates changes, so no confirmation is needed.
      await service.createFlag(checkout, ada);
      const targeted: CreateFlagInput = { key: 'dark-mode', type: 'boolean', environments: { production: { enabled: true } } };
      await expect(service.createFlag(targeted, ada)).rejects.toMatchObject({ code: 'CONFIRMATION_REQUIRED', status: 428 });
      await expect(service.createFlag(targeted, { ...ada, confirmed: ['production'] })).rejects.toMatchObject({
        status: 400,
        details: [{ path: 'comment', problem: 'is required for changes to production' }],
      });
      const flag = await service.createFlag(targeted, { ...ada, confirmed: ['production'], comment: 'launch' });
      expect(flag.environments.production.enabled).toBe(true);
    });
  });

  describe('toggle', () => {
    it('flips one environment, bumps the flag version, audits and publishes only that environment', async () => {
      const { service, audit, published } = setUp();
      await service.createFlag(checkout, ada);
      const on = await service.toggle('new-checkout', 'staging', undefined, ada);
      expect(on.environments.staging).toMatchObject({ enabled: true, version: 2 });
      expect(on.environments.production).toMatchObject({ enabled: false, version: 1 });
      expect(on.version).toBe(2);
      expect(audit.at(-1)).toMatchObject({
        action: 'flag.toggled',
        environment: 'staging',
        before: { enabled: false },
        after: { enabled: true },
        meta: { version: 2 },
      });
      expect(published.at(-1)).toEqual([{ environment: 'staging', version: 2, flagKeys: ['new-checkout'], segmentKeys: [], actor: ada.actor }]);

      const explicit = await service.toggle('new-checkout', 'staging', true, ada);
      expect(explicit.environments.staging.enabled).toBe(true);
      expect((await service.versions('new-checkout')).map((v) => v.version)).toEqual([3, 2, 1]);
    });

    it('refuses a stale If-Match with 409 and the current version, changing nothing', async () => {
      const { service, audit, published } = setUp();
      await service.createFlag(checkout, ada);
      await service.toggle('new-checkout', 'staging', true, { ...ada, ifMatch: 1 });
      await expect(service.toggle('new-checkout', 'production', true, { ...ada, ifMatch: 1 })).rejects.toMatchObject({
        code: 'CONFLICT',
        status: 409,
        extra: { currentVersion: 2 },
        details: [{ path: 'If-Match', problem: 'is 1 but the current version is 2' }],
      });
      expect((await service.getFlag('new-checkout')).environments.production.enabled).toBe(false);
      expect(audit.map((e) => e.action)).toEqual(['flag.created', 'flag.toggled']);
      expect(published).toHaveLength(2);
    });

    it('answers 404 for an unknown flag or environment', async () => {
      const { service } = setUp();
      await service.createFlag(checkout, ada);
      await expect(service.toggle('missing', 'staging', true, ada)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
      await expect(service.toggle('new-checkout', 'qa', true, ada)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    });

    it('needs the confirmation of a guarded environment', async () => {
      const { service } = setUp([{ key: 'production', requiresConfirmation: true }]);
      await service.createFlag(checkout, ada);
      await expect(service.toggle('new-checkout', 'production', true, ada)).rejects.toMatchObject({
        code: 'CONFIRMATION_REQUIRED',
        details: [{ path: 'environment', problem: 'production requires confirmation' }],
      });
      await expect(service.toggle('new-checkout', 'production', true, { ...ada, confirmed: ['production'] })).resolves.toMatchObject({ version: 2 });
    });
  });

  describe('patchEnvironment', () => {
    it('keeps a rollout salt across percentage edits so users stay in their bucket', async () => {
      const { service } = setUp();
      await service.createFlag(checkout, ada);
      const first = await service.patchEnvironment(
        'new-checkout',
        'staging',
        {
          defaultServe: {
            rollout: [
              { variant: 'on', weight: 10000 },
              { variant: 'off', weight: 90000 },
            ],
          },
        },
        ada,
      );
      const salt = (first.environments.staging.defaultServe as { salt: string }).salt;
      const second = await service.patchEnvironment(
        'new-checkout',
        'staging',
        {
          defaultServe: {
            rollout: [
              { variant: 'on', weight: 50000 },
              { variant: 'off', weight: 50000 },
            ],
          },
        },
        ada,
      );
      expect(second.environments.staging.defaultServe).toEqual({
        rollout: [
          { variant: 'on', weight: 50000 },
          { variant: 'off', weight: 50000 },
        ],
        salt,
      });
    });

    it('refuses an off variant the flag does not have', async () => {
      const { service } = setUp();
      await service.createFlag(checkout, ada);
      const failure = await service.patchEnvironment('new-checkout', 'staging', { offVariant: 'maybe' }, ada).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, details: [expect.objectContaining({ path: 'offVariant' })] });
    });
  });

  describe('updateFlag', () => {
    it('changes metadata without publishing, and archiving publishes every environment', async () => {
      const { service, audit, published } = setUp();
      await service.createFlag(checkout, ada);
      const renamed = await service.updateFlag('new-checkout', { name: 'Checkout v2', owner: 'team-payments' }, ada);
      expect(renamed).toMatchObject({ name: 'Checkout v2', owner: 'team-payments', version: 2 });
      expect(audit.at(-1)).toMatchObject({ action: 'flag.updated', before: { name: 'new-checkout' }, after: { name: 'Checkout v2' } });
      expect(published).toHaveLength(1);

      const archived = await service.archiveFlag('new-checkout', ada);
      expect(archived).toMatchObject({ archived: true, version: 3 });
      expect(audit.at(-1)).toMatchObject({ action: 'flag.archived' });
      expect(
        published
          .at(-1)
          ?.map((c) => c.environment)
          .sort(),
      ).toEqual(['production', 'staging']);
      expect(await service.listFlags()).toEqual([]);
      expect((await service.listFlags({ archived: true })).map((f) => f.key)).toEqual(['new-checkout']);
    });

    it('refuses new variants that the current targeting does not fit', async () => {
      const { service } = setUp();
      await service.createFlag(checkout, ada);
      await expect(service.updateFlag('new-checkout', { variants: { yes: true, no: false } }, ada)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/^the new variants do not fit the current targeting: /),
      });
      await expect(service.updateFlag('new-checkout', { variants: {} }, ada)).rejects.toMatchObject({
        details: [{ path: 'variants', problem: 'must have at least one variant' }],
      });
      expect((await service.getFlag('new-checkout')).version).toBe(1);
    });

    it('refuses a description for a variant the flag does not have', async () => {
      const { service } = setUp();
      await service.createFlag(checkout, ada);
      await expect(service.updateFlag('new-checkout', { variantDescriptions: { maybe: 'not sure' } }, ada)).rejects.toMatchObject({
        details: [{ path: 'variantDescriptions.maybe', problem: 'is not a variant of this flag' }],
      });
    });
  });

  describe('restore', () => {
    it('writes an earlier version as a new one and says what it restored', async () => {
      const { service, audit } = setUp();
      await service.createFlag(checkout, ada);
      await service.toggle('new-checkout', 'production', true, ada);
      const restored = await service.restore('new-checkout', 1, ada);
      expect(restored.environments.production.enabled).toBe(false);
      expect(restored.version).toBe(3);
      expect(audit.at(-1)).toMatchObject({ action: 'flag.restored', meta: { restoredVersion: 1, version: 3 } });
      await expect(service.restore('new-checkout', 9, ada)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    });
  });
});
