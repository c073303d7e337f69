import type { MigrationInterface, QueryRunner } from 'typeorm';

const NAME = 'MirrorScopes1764260000000';

/**
 * Mirror routes moved from flags:* to their own scopes. Tokens that could read them through
 * flags:read or flags:write keep reading them (mirror:read); nothing gains mirror:write or a
 * proxy's mirror:report:<route>, so a proxy token must be reissued to keep sending reports.
 * Each changed token is audited.
 */
export class MirrorScopes1764260000000 implements MigrationInterface {
  name = NAME;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `WITH changed AS (
         UPDATE api_tokens SET scopes = array_append(scopes, 'mirror:read')
         WHERE revoked_at IS NULL AND scopes && ARRAY['flags:read', 'flags:write'] AND NOT scopes && ARRAY['admin', 'mirror:read', 'mirror:write']
         RETURNING id, name, scopes
       )
       INSERT INTO audit_events (actor, action, target, before, after, meta)
       SELECT 'system', 'token.scopes-migrated', 'token:' || name,
              jsonb_build_object('id', id, 'scopes', array_remove(scopes, 'mirror:read')), jsonb_build_object('id', id, 'scopes', scopes),
              jsonb_build_object('migration', $1::text, 'reason', 'mirror routes have their own scopes; flags:* tokens keep reading them')
       FROM changed`,
      [NAME],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE api_tokens t SET scopes = array_remove(t.scopes, 'mirror:read')
       FROM audit_events e WHERE e.action = 'token.scopes-migrated' AND e.meta->>'migration' = $1 AND e.after->>'id' = t.id::text`,
      [NAME],
    );
    await queryRunner.query(`DELETE FROM audit_events WHERE action = 'token.scopes-migrated' AND meta->>'migration' = $1`, [NAME]);
  }
}
