/**
 * @module test/gateway/load-probes
 * What routing remembers of the probes of a model's load: only probes that set a cold model loading,
 * with its load time the prior's; forgotten once the model is seen in memory, or after half an hour.
 */
import { describe, expect, it } from 'vitest';
import { LoadProbes } from '../../src/gateway/load-probes.js';
import type { Decision } from '../../src/routing/decide.js';
import { fittedModel, localCandidate } from '../routing/fixtures.js';

const unmeasured = fittedModel({ loadFromPrior: true });
const cold = localCandidate({ loaded: false, latency: unmeasured });
const now = 1_000_000;
const probe = (deadlineMs: number, reason: Decision['reason'] = 'exploring') => ({
  reason,
  attempts: [
    {
      provider: 'ollama',
      model: 'qwen2.5-coder:7b',
      locality: 'local' as const,
      firstTokenDeadlineMs: deadlineMs,
    },
  ],
});

describe('LoadProbes', () => {
  it('remembers the longest first-token time a probe that set the model loading got', () => {
    const probes = new LoadProbes();
    expect(probes.before('m', cold, now)).toBeUndefined();
    probes.decided('m', probe(300), cold, now);
    probes.decided('m', probe(200), cold, now + 1);
    expect(probes.before('m', cold, now + 2)).toBe(300);
  });

  it('ignores decisions that are not probes, join a load under way, or concern a measured load', () => {
    const probes = new LoadProbes();
    probes.decided('m', probe(900, 'local_fast_enough'), cold, now);
    probes.decided(
      'm',
      probe(900),
      localCandidate({ loaded: false, loadingForMs: 100, latency: unmeasured }),
      now,
    );
    probes.decided('m', probe(900), localCandidate({ loaded: false }), now);
    probes.decided('m', probe(900), undefined, now);
    expect(probes.before('m', cold, now)).toBeUndefined();
  });

  it('says nothing once the load is measured, and forgets once the model is seen in memory', () => {
    const probes = new LoadProbes();
    probes.decided('m', probe(300), cold, now);
    expect(probes.before('m', localCandidate({ loaded: false }), now)).toBeUndefined();
    expect(probes.before('m', cold, now)).toBe(300);
    probes.seenLoaded('m');
    expect(probes.before('m', cold, now)).toBeUndefined();
  });

  it('drops a bar after half an hour', () => {
    const probes = new LoadProbes();
    probes.decided('m', probe(300), cold, now);
    expect(probes.before('m', cold, now + 30 * 60_000)).toBe(300);
    expect(probes.before('m', cold, now + 30 * 60_000 + 1)).toBeUndefined();
  });
});
