import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { createProfileRepository } from '../../src/db/profile-repository.js';
import type { CompletionProfile } from '../../src/profiler/completion-profile.js';
import { createModelStatsStore } from '../../src/profiler/model-stats.js';
import { fullProfile, minimalProfile } from './fixtures.js';

function decode(rate: number, overrides: Partial<CompletionProfile> = {}): CompletionProfile {
  return minimalProfile({ decodeTokensPerSecond: rate, ...overrides });
}

/** A deterministic pseudo-random sequence, so failures reproduce. */
function sequence(count: number, seed = 7): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return 20 + (state / 2 ** 31) * 60;
  });
}

describe('model statistics', () => {
  it('matches a direct computation of mean and sample variance (Welford)', () => {
    const store = createModelStatsStore({ windowSize: 10 });
    const values = sequence(500);
    for (const value of values) store.observe(decode(value));

    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
    const stats = store.get('ollama', 'qwen2.5-coder:7b')?.decodeTokensPerSecond;
    expect(stats?.count).toBe(500);
    expect(stats?.mean).toBeCloseTo(mean, 9);
    expect(stats?.variance).toBeCloseTo(variance, 6);
  });

  it('weights recent observations by half-life, so the weighted mean follows a step change faster', () => {
    const store = createModelStatsStore({ windowSize: 10, halfLife: 20 });
    for (let index = 0; index < 200; index++) store.observe(decode(10));
    for (let index = 0; index < 20; index++) store.observe(decode(100));

    const stats = store.get('ollama', 'qwen2.5-coder:7b')?.decodeTokensPerSecond;
    // After one half-life at the new level the weighted mean is half-way there: 10 + 90 / 2.
    expect(stats?.ewMean).toBeCloseTo(55, 9);
    expect(stats?.mean).toBeCloseTo((200 * 10 + 20 * 100) / 220, 9);
    expect(stats?.ewVariance).toBeGreaterThan(0);
  });

  it('keeps failures out of the rates and counts them per model', () => {
    const store = createModelStatsStore({ windowSize: 10 });
    store.observe(decode(40, { timeToFirstTokenMs: 100 }));
    store.observe(decode(1, { outcome: 'upstream_error', timeToFirstTokenMs: 99_999, durationMs: 99_999 }));
    store.observe(decode(1, { outcome: 'deadline_exceeded' }));
    store.observe(decode(1, { outcome: 'client_aborted' }));

    const stats = store.get('ollama', 'qwen2.5-coder:7b');
    expect(stats?.successes).toBe(1);
    expect(stats?.errors).toBe(2);
    expect(stats?.aborted).toBe(1);
    expect(stats?.decodeTokensPerSecond.mean).toBe(40);
    expect(stats?.ttftMs.mean).toBe(100);
    expect(stats?.durationMs.count).toBe(1);
    expect(stats?.recent.map((observation) => observation.outcome)).toEqual([
      'ok',
      'upstream_error',
      'deadline_exceeded',
      'client_aborted',
    ]);
  });

  it('counts load time only for cold starts, and ignores unusable rates', () => {
    const store = createModelStatsStore({ windowSize: 10 });
    store.observe(minimalProfile({ loadDurationNs: 5_000_000, coldStart: false }));
    store.observe(minimalProfile({ loadDurationNs: 2_000_000_000, coldStart: true }));
    store.observe(minimalProfile({ decodeTokensPerSecond: Number.POSITIVE_INFINITY }));

    const stats = store.get('ollama', 'qwen2.5-coder:7b');
    expect(stats?.loadMs.count).toBe(1);
    expect(stats?.loadMs.mean).toBe(2000);
    expect(stats?.coldStarts).toBe(1);
    expect(stats?.decodeTokensPerSecond.count).toBe(0);
    expect(stats?.recent[0]?.loadMs).toBe(5);
  });

  it('keeps the newest observations in order, per provider and model', () => {
    const store = createModelStatsStore({ windowSize: 3 });
    for (let index = 0; index < 5; index++) store.observe(decode(index, { startedAt: index }));
    store.observe(decode(7, { provider: 'anthropic', locality: 'cloud' }));

    const stats = store.get('ollama', 'qwen2.5-coder:7b');
    expect(stats?.recent.map((observation) => observation.at)).toEqual([2, 3, 4]);
    expect(stats?.recent[2]).toMatchObject({
      decodeTokensPerSecond: 4,
      promptTokens: 100,
      completionTokens: 0,
    });
    expect(store.get('anthropic', 'qwen2.5-coder:7b')?.successes).toBe(1);
    expect(store.get('gemini', 'qwen2.5-coder:7b')).toBeUndefined();
    expect(store.all().map((entry) => entry.provider)).toEqual(['ollama', 'anthropic']);
  });

  it('returns the same snapshot until the next observation, and never changes one it handed out', () => {
    const store = createModelStatsStore({ windowSize: 2 });
    store.observe(decode(10));
    const first = store.get('ollama', 'qwen2.5-coder:7b');
    expect(store.get('ollama', 'qwen2.5-coder:7b')).toBe(first);
    expect(store.all()).toBe(store.all());
    expect(Object.isFrozen(first)).toBe(true);

    store.observe(decode(20));
    store.observe(decode(30));
    const second = store.get('ollama', 'qwen2.5-coder:7b');
    expect(second).not.toBe(first);
    expect(second?.version).toBe(3);
    expect(first?.version).toBe(1);
    expect(first?.recent.map((observation) => observation.decodeTokensPerSecond)).toEqual([10]);
    expect(first?.decodeTokensPerSecond.count).toBe(1);
    expect(second?.recent.map((observation) => observation.decodeTokensPerSecond)).toEqual([20, 30]);
  });

  it('rebuilt from the repository equals what was observed live', () => {
    const database = openDatabase(':memory:');
    try {
      const repository = createProfileRepository(database);
      const live = createModelStatsStore({ windowSize: 50 });
      const rates = sequence(120, 3);
      const profiles = rates.map((rate, index) =>
        fullProfile({
          requestId: `r${index}`,
          startedAt: 1_700_000_000_000 + index,
          model: index % 3 === 0 ? 'llama3.2:3b' : 'qwen2.5-coder:7b',
          outcome: index % 7 === 0 ? 'upstream_error' : 'ok',
          coldStart: index % 11 === 0,
          decodeTokensPerSecond: rate,
          prefillTokensPerSecond: rate * 10,
          timeToFirstTokenMs: 1000 / rate,
          durationMs: 20_000 / rate,
        }),
      );
      for (const profile of profiles) live.observe(profile);
      repository.insertCompletions(profiles);

      const rebuilt = createModelStatsStore({ windowSize: 50 });
      rebuilt.rebuild(repository.recentCompletions({ perModelLimit: 1000 }));
      expect(rebuilt.all()).toEqual(live.all());
    } finally {
      database.close();
    }
  });

  it('rebuild forgets what was there before', () => {
    const store = createModelStatsStore({ windowSize: 5 });
    store.observe(decode(10, { model: 'gone' }));
    store.rebuild([decode(20)]);
    expect(store.get('ollama', 'gone')).toBeUndefined();
    expect(store.all()).toHaveLength(1);
  });
});
