/**
 * @module test/gateway/load-probes
 * What routing remembers of the probes of a model's load: only probes that set a cold model loading,
 * with its load time the prior's, and only until the model is seen in memory.
 */
import { describe, expect, it } from 'vitest';
import { LoadProbes } from '../../src/gateway/load-probes.js';
import type { Decision } from '../../src/routing/decide.js';
import { fittedModel, localCandidate } from '../routing/fixtures.js';

const unmeasured = fittedModel({ loadFromPrior: true });
const cold = localCandidate({ loaded: false, latency: unmeasured });
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
    expect(probes.before('m', cold)).toBeUndefined();
    probes.decided('m', probe(300), cold);
    probes.decided('m', probe(200), cold);
    expect(probes.before('m', cold)).toBe(300);
  });

  it('ignores decisions that are not probes, join a load under way, or concern a measured load', () => {
    const probes = new LoadProbes();
    probes.decided('m', probe(900, 'local_fast_enough'), cold);
    probes.decided(
      'm',
      probe(900),
      localCandidate({ loaded: false, loadingForMs: 100, latency: unmeasured }),
    );
    probes.decided('m', probe(900), localCandidate({ loaded: false }));
    probes.decided('m', probe(900), undefined);
    expect(probes.before('m', cold)).toBeUndefined();
  });

  it('forgets once the model is seen in memory, and says nothing once its load is measured', () => {
    const probes = new LoadProbes();
    probes.decided('m', probe(300), cold);
    expect(probes.before('m', localCandidate({ loaded: false }))).toBeUndefined();
    expect(probes.before('m', localCandidate({ loaded: true, latency: unmeasured }))).toBeUndefined();
    expect(probes.before('m', cold)).toBeUndefined();
  });
});
