import { kindFilterSql, kindSql } from './changes.repository';

describe('the timeline kinds as SQL', () => {
  it('builds the SQL CASE from the same rules, quoting and escaping the literals', () => {
    const sql = kindSql();
    expect(sql).toContain(`WHEN action IN ('rollout.gate.approved', 'rollout.gate.waiting') THEN 'approval'`);
    expect(sql).toContain(`action LIKE 'rollout.%' ESCAPE '\\' THEN 'rollout'`);
    expect(sql.indexOf("'verdict'")).toBeLessThan(sql.indexOf("THEN 'rollout'"));
  });

  it('filters a kind by its own rule and by no earlier rule taking it (first match wins)', () => {
    const rollout = kindFilterSql('rollout');
    expect(rollout.startsWith(`(action LIKE 'rollout.%' ESCAPE '\\' AND NOT (`)).toBe(true);
    expect(rollout).toContain(`action IN ('rollout.verdict', 'rollout.dark-launch.verdict', 'rollout.flag-release.verdict')`);
    expect(kindFilterSql('other').startsWith('NOT (')).toBe(true);
  });

  it('filters a kind with several rules by any of them (approval: gate events and change requests)', () => {
    const approval = kindFilterSql('approval');
    expect(approval).toContain(`action IN ('rollout.gate.approved', 'rollout.gate.waiting')`);
    expect(approval).toContain(`action LIKE 'change-request.%'`);
    expect(approval).toContain(' OR ');
  });
});
