import { compileSnapshot } from './compile';
import type { EvaluationContext, Snapshot } from './types';

// A budget, not a benchmark: it fails only on a gross regression of the hot path (say an
// accidental per-call compile or closure), with room for a loaded 2-core CI machine.
const BUDGET_NS_PER_OP = 1500;

describe('compiled evaluation speed', () => {
  it('evaluates a country rule plus a 25% rollout in well under 1.5µs per call', () => {
    const snapshot: Snapshot = {
      environment: 'production',
      version: 1,
      segments: {},
      flags: {
        'new-checkout': {
          key: 'new-checkout',
          type: 'boolean',
          variants: { on: true, off: false },
          enabled: true,
          offVariant: 'off',
          rules: [{ id: 'nordics', conditions: [{ attribute: 'country', operator: 'in', values: ['NO', 'SE'] }], serve: { variant: 'on' } }],
          defaultServe: {
            rollout: [
              { variant: 'on', weight: 25000 },
              { variant: 'off', weight: 75000 },
            ],
            salt: '2025-06',
          },
          version: 7,
        },
      },
    };
    const compiled = compileSnapshot(snapshot);
    const countries = ['NO', 'SE', 'DK', 'FI', 'DE', 'US', 'GB', 'FR'];
    const users: EvaluationContext[] = [];
    for (let i = 0; i < 100000; i++) {
      users.push({ targetingKey: `user-${i.toString(36)}-${(i * 7919) % 100003}`, country: countries[i % countries.length] });
    }

    let on = 0;
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        if (compiled.evaluate('new-checkout', users[i % 100000], 'boolean').value === true) on++;
      }
    };
    run(200000); // warm-up, lets the JIT settle

    on = 0;
    const iterations = 1000000;
    const start = process.hrtime.bigint();
    run(iterations);
    const elapsedNs = Number(process.hrtime.bigint() - start);
    const nsPerOp = elapsedNs / iterations;
    console.log(`compiled evaluate: ${nsPerOp.toFixed(1)} ns/op (${(elapsedNs / 1e6).toFixed(1)} ms for ${iterations})`);

    // 2/8 of users are Nordic (always on); 25% of the rest are in the rollout.
    expect(on / iterations).toBeCloseTo(0.25 + 0.75 * 0.25, 1);
    expect(nsPerOp).toBeLessThan(BUDGET_NS_PER_OP);
  });
});
