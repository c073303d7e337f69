import { LoadShedder } from './load-shedder';

describe('LoadShedder', () => {
  // A deterministic "random" so admit() is exactly "draw < share".
  const draws = (value: number) => () => value;

  it('admits everything while the loop has room', () => {
    const shedder = new LoadShedder(0.9, { random: draws(0.999) });
    for (let i = 0; i < 50; i++) shedder.adjust(0.6);
    expect(shedder.share).toBe(1);
    expect(shedder.admit()).toBe(true);
    shedder.close();
  });

  it('ignores one busy interval but backs off under sustained saturation, down to a trickle', () => {
    const changes: number[] = [];
    const shedder = new LoadShedder(0.9, { random: draws(0.5), onChange: (share) => changes.push(share) });
    shedder.adjust(1);
    expect(shedder.share).toBe(1);
    for (let i = 0; i < 10; i++) shedder.adjust(1);
    expect(shedder.share).toBeLessThan(0.5);
    expect(shedder.admit()).toBe(false);
    for (let i = 0; i < 100; i++) shedder.adjust(1);
    expect(shedder.share).toBe(0.01);
    expect(changes.at(-1)).toBe(0.01);
    shedder.close();
  });

  it('comes back to mirroring everything within about a second of the load easing', () => {
    const shedder = new LoadShedder(0.9, { random: draws(0.5) });
    for (let i = 0; i < 100; i++) shedder.adjust(1);
    let steps = 0;
    while (shedder.share < 1 && steps < 100) {
      shedder.adjust(0.3);
      steps++;
    }
    expect(shedder.share).toBe(1);
    // Ten 100 ms intervals of climbing, plus the few it takes the smoothed utilisation to fall.
    expect(steps).toBeLessThanOrEqual(15);
    expect(shedder.admit()).toBe(true);
    shedder.close();
  });

  it('never sheds with a limit of 1', () => {
    const shedder = new LoadShedder(1, { random: draws(0.999) });
    for (let i = 0; i < 20; i++) shedder.adjust(1);
    expect(shedder.share).toBe(1);
    shedder.close();
  });
});
