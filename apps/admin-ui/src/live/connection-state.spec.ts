import { ApiClient } from '../api/api-client';
import { SLOW_REQUEST_MS, connectionState } from './connection-state';

describe('connection state', () => {
  const now = 1_000_000;

  it('is live with an open stream and no request waiting too long', () => {
    expect(connectionState('open', undefined, now)).toBe('live');
    expect(connectionState('open', now - SLOW_REQUEST_MS + 1, now)).toBe('live');
  });

  it('turns amber when a request waits past the threshold or the stream reconnects', () => {
    expect(connectionState('open', now - SLOW_REQUEST_MS, now)).toBe('slow');
    expect(connectionState('reconnecting', undefined, now)).toBe('reconnecting');
    expect(connectionState('connecting', undefined, now)).toBe('reconnecting');
  });

  it('is offline when the stream is closed', () => {
    expect(connectionState('closed', undefined, now)).toBe('offline');
  });

  it('learns from the API client which requests are still waiting, oldest first', async () => {
    const answers: Array<(response: Response) => void> = [];
    const api = new ApiClient(() => new Promise<Response>((resolve) => answers.push(resolve)));
    let changes = 0;
    api.onPendingChange(() => (changes += 1));
    expect(api.oldestPendingSince).toBeUndefined();

    const before = Date.now();
    const first = api.get('/api/v1/flags');
    const second = api.get('/api/v1/segments');
    expect(api.oldestPendingSince).toBeGreaterThanOrEqual(before);
    expect(changes).toBe(2);

    answers[0](new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } }));
    await first;
    expect(api.oldestPendingSince).toBeDefined();
    answers[1](new Response('nope', { status: 500 }));
    await expect(second).rejects.toMatchObject({ status: 500 });
    expect(api.oldestPendingSince).toBeUndefined();
    expect(changes).toBe(4);
  });
});
