import { matchRoute, pathOf, titleOf } from '../shell/routes';
import type { Change } from '../../../../libs/audit/src/change-timeline.contract';
import { mergeNewest } from '../audit/event-feed';
import { changesQuery, dayLabel, isAlarming, whereLabel } from './timeline.model';

const change = (id: string, fields: Partial<Change> = {}): Change => ({
  id,
  at: '2026-12-07T16:00:00.000Z',
  actor: 'system:rollout',
  kind: 'rollout',
  action: 'rollout.applied',
  service: 'quotes',
  environment: 'production',
  target: 'release:quotes/r1',
  summary: [],
  before: null,
  after: null,
  comment: null,
  reason: null,
  link: '/releases/r1',
  ...fields,
});

describe('timeline model', () => {
  it('keeps the filters in the URL, in a fixed order', () => {
    const route = matchRoute('/timeline', '?since=30m&environment=production&nope=1');
    expect(route).toEqual({ page: 'timeline', filters: { environment: 'production', since: '30m' } });
    expect(pathOf(route)).toBe('/timeline?environment=production&since=30m');
    expect(matchRoute('/timeline')).toEqual({ page: 'timeline' });
    expect(titleOf(route)).toBe('production · Timeline · Switchyard');
  });

  it('asks the API for a day by default and reads a bare actor as a person', () => {
    expect(changesQuery({ environment: 'production', actor: 'ada' })).toEqual({
      environment: 'production',
      service: undefined,
      kind: undefined,
      actor: 'user:ada*',
      since: '24h',
      cursor: undefined,
      limit: 50,
    });
    expect(changesQuery({ since: '30m', actor: 'system:rollout', service: ' quotes ' }, '42')).toMatchObject({
      since: '30m',
      actor: 'system:rollout*',
      service: 'quotes',
      cursor: '42',
    });
  });

  it('adds newer changes on top once and leaves paged rows alone', () => {
    const shown = [change('3'), change('2'), change('1')];
    expect(mergeNewest(shown, [change('5'), change('4'), change('3')]).map((c) => c.id)).toEqual(['5', '4', '3', '2', '1']);
    expect(mergeNewest(shown, [change('3'), change('2')])).toBe(shown);
  });

  it('marks trips, rollbacks, aborts, failures and failed verdicts as alarming', () => {
    expect(isAlarming(change('1', { kind: 'guardrail' }))).toBe(true);
    expect(isAlarming(change('1', { kind: 'verdict', action: 'rollout.verdict', after: { verdict: 'Failed' } }))).toBe(true);
    expect(isAlarming(change('1', { kind: 'verdict', action: 'rollout.dark-launch.verdict', after: { outcome: 'insufficient-data' } }))).toBe(true);
    expect(isAlarming(change('1', { kind: 'verdict', action: 'rollout.verdict', after: { verdict: 'Successful' } }))).toBe(false);
    expect(isAlarming(change('1', { action: 'rollout.failed' }))).toBe(true);
    expect(isAlarming(change('1'))).toBe(false);
  });

  it('says where and which day', () => {
    expect(whereLabel(change('1'))).toBe('quotes · production');
    expect(whereLabel(change('1', { service: null, environment: null }))).toBe('—');
    const now = new Date(2026, 11, 7, 18, 0);
    expect(dayLabel(new Date(2026, 11, 7, 1, 0).toISOString(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 11, 6, 23, 0).toISOString(), now)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 11, 1, 12, 0).toISOString(), now)).toBe('Tue 1 Dec');
  });
});
