import { EndpointGrouper } from './endpoint-grouper';

describe('EndpointGrouper', () => {
  it('uses configured templates first, in order', () => {
    const grouper = new EndpointGrouper(['/quotes/:symbol', '/users/:id', '/files/*']);
    expect(grouper.group('get', '/quotes/ABC?x=1')).toBe('GET /quotes/:symbol');
    expect(grouper.group('GET', '/users/alice')).toBe('GET /users/:id');
    expect(grouper.group('GET', '/files/a/b/c')).toBe('GET /files/*');
    expect(grouper.group('GET', '/quotes/ABC/history')).toBe('GET /quotes/ABC/history');
  });

  it('turns numbers, UUIDs and hex ids into :id and keeps words', () => {
    const grouper = new EndpointGrouper();
    expect(grouper.group('GET', '/orders/12345/items/9')).toBe('GET /orders/:id/items/:id');
    expect(grouper.group('GET', '/runs/3f2b8c1e-1d2a-4b5c-9d8e-0123456789ab')).toBe('GET /runs/:id');
    expect(grouper.group('GET', '/objects/507f1f77bcf86cd799439011')).toBe('GET /objects/:id');
    expect(grouper.group('GET', '/objects/5f3a9c01')).toBe('GET /objects/:id');
    expect(grouper.group('GET', '/coffee/cafebabe')).toBe('GET /coffee/cafebabe');
    expect(grouper.group('GET', '/')).toBe('GET /');
    expect(grouper.group('GET', '')).toBe('GET /');
  });

  it('caps the number of endpoints', () => {
    const grouper = new EndpointGrouper([], 2);
    expect(grouper.group('GET', '/a')).toBe('GET /a');
    expect(grouper.group('GET', '/b')).toBe('GET /b');
    expect(grouper.group('GET', '/c')).toBe('GET (other)');
    expect(grouper.group('GET', '/a')).toBe('GET /a');
  });

  it('names a path the same way before and after its answer was cached, and past the cache size', () => {
    const grouper = new EndpointGrouper(['/quotes/:symbol'], 3000);
    expect(grouper.group('get', '/quotes/ABC?x=1')).toBe('GET /quotes/:symbol');
    expect(grouper.group('get', '/quotes/ABC#top')).toBe('GET /quotes/:symbol');
    for (let i = 0; i < 2500; i++) expect(grouper.group('GET', `/items/${i}/word${i}`)).toBe(`GET /items/:id/word${i}`);
    expect(grouper.group('get', '/quotes/ABC')).toBe('GET /quotes/:symbol');
    expect(grouper.group('GET', '/items/7/word7')).toBe('GET /items/:id/word7');
  });
});
