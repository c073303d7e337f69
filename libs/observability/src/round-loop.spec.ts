import { RoundLoop } from './round-loop';

const loops: RoundLoop[] = [];

/** A loop whose rounds each wait until the test ends them (`finish`), counting the rounds started. */
function scripted(outcomes: Array<'ok' | Error> = []) {
  const pending: Array<() => void> = [];
  const errors: unknown[] = [];
  let started = 0;
  const loop = new RoundLoop(
    () =>
      new Promise<void>((resolve, reject) => {
        const outcome = outcomes[started++] ?? 'ok';
        pending.push(() => (outcome === 'ok' ? resolve() : reject(outcome)));
      }),
    (error) => errors.push(error),
  );
  loops.push(loop);
  return {
    loop,
    errors,
    started: () => started,
    /** Ends the oldest running round and lets the loop react to it. */
    finish: async () => {
      pending.shift()?.();
      await flush();
    },
  };
}

// The loop chains .catch and .finally on a round: a few turns of the microtask queue let them run.
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

// Even a failed test leaves no interval behind (stop() does not wait: its round may never end).
afterEach(() => {
  for (const loop of loops.splice(0)) void loop.stop();
  jest.restoreAllMocks();
  jest.useRealTimers();
});

describe('RoundLoop', () => {
  it('runs a round at once when kicked', async () => {
    const { loop, started, finish } = scripted();
    loop.kick();
    expect(started()).toBe(1);
    await finish();
    expect(started()).toBe(1);
  });

  it('folds any number of kicks during a round into one more round right after it', async () => {
    const { loop, started, finish } = scripted();
    loop.kick();
    loop.kick();
    loop.kick();
    loop.kick();
    expect(started()).toBe(1);
    await finish();
    expect(started()).toBe(2);
    await finish();
    expect(started()).toBe(2);
  });

  it('reports a failed round to onError and keeps going', async () => {
    const failure = new Error('database down');
    const { loop, started, errors, finish } = scripted([failure, 'ok']);
    loop.kick();
    loop.kick();
    await finish();
    expect(errors).toEqual([failure]);
    expect(started()).toBe(2);
    await finish();
    expect(errors).toEqual([failure]);
  });

  it('stop() waits for the running round, runs no queued round and refuses later kicks', async () => {
    const { loop, started, finish } = scripted();
    loop.kick();
    loop.kick(); // would run again after this round, but the loop stops first
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    expect(loop.stopped).toBe(true);
    await flush();
    expect(stopped).toBe(false);
    await finish();
    await stopping;
    expect(stopped).toBe(true);
    loop.kick();
    expect(started()).toBe(1);
  });

  it('stop() with no round running resolves at once', async () => {
    const { loop, started } = scripted();
    await loop.stop();
    loop.kick();
    expect(started()).toBe(0);
  });

  it('start() runs a round now and one per interval, never two at once, until stopped', async () => {
    jest.useFakeTimers();
    const { loop, started, finish } = scripted();
    loop.start(1000);
    expect(started()).toBe(1);
    await jest.advanceTimersByTimeAsync(1000);
    expect(started()).toBe(1); // the first round is still running: the tick waits for it
    await finish();
    expect(started()).toBe(2);
    await finish();
    await jest.advanceTimersByTimeAsync(999);
    expect(started()).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(started()).toBe(3);
    await finish();
    await loop.stop();
    expect(jest.getTimerCount()).toBe(0); // the interval is cleared, not just ignored
    await jest.advanceTimersByTimeAsync(5000);
    expect(started()).toBe(3);
  });

  it('its interval keeps no process alive', () => {
    const setInterval = jest.spyOn(global, 'setInterval');
    const { loop } = scripted();
    loop.start(60_000);
    const timer = setInterval.mock.results[0].value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
  });
});
