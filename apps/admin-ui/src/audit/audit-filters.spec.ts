import { actorLabel, prefixQuery } from './audit-filters';

describe('audit filters', () => {
  it('sends target and actor as prefixes, a bare actor as a person', () => {
    expect(prefixQuery('flag:checkout')).toBe('flag:checkout*');
    expect(prefixQuery(' flag:checkout* ')).toBe('flag:checkout*');
    expect(prefixQuery('')).toBeUndefined();
    expect(prefixQuery('ada', 'actor')).toBe('user:ada*');
    expect(prefixQuery('token:ci', 'actor')).toBe('token:ci*');
  });

  it('names people, tokens and others', () => {
    expect(actorLabel({ actor: 'user:ada@example.com', actorName: 'Ada' })).toBe('Ada');
    expect(actorLabel({ actor: 'user:gone@example.com', actorName: null })).toBe('gone@example.com');
    expect(actorLabel({ actor: 'token:ci' })).toBe('token ci');
    expect(actorLabel({ actor: 'system:reconciler' })).toBe('system:reconciler');
  });
});
