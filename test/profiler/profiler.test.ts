import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { openDatabase } from '../../src/db/client.js';
import { createProfileRepository } from '../../src/db/profile-repository.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createProfiler } from '../../src/profiler/profiler.js';
import { fullProfile, minimalProfile, systemSample, temporaryDirectory } from './fixtures.js';

const config = configSchema.parse({
  profiler: { flush_interval_ms: 60_000, system_sample_interval_ms: 60_000, window_size: 50 },
}).profiler;

describe('profiler', () => {
  it('records to statistics, metrics and SQLite, with the latest system sample', async () => {
    const database = openDatabase(path.join(temporaryDirectory(), 'switchyard.db'));
    const repository = createProfileRepository(database);
    const metrics = createMetrics();
    const sampleSystem = vi.fn(async () => systemSample({ sampledAt: Date.now() }));
    const profiler = createProfiler({ repository, metrics, config, log: vi.fn(), sampleSystem });
    await profiler.start();
    expect(sampleSystem).toHaveBeenCalledTimes(1);
    const sampleId = profiler.latestSystemSample()?.id;
    expect(sampleId).toBe(1);

    profiler.record(fullProfile({ requestId: 'a', outcome: 'ok' }));
    profiler.record(minimalProfile({ requestId: 'b', completionTokens: 12 }));
    expect(repository.countCompletions()).toBe(0); // nothing written on the request path
    expect(profiler.stats.get('ollama', 'qwen2.5-coder:7b')?.successes).toBe(2);
    const completionTokens = await metrics.completionTokens.get();
    expect(completionTokens.values[0]?.value).toBe(64 + 12);

    await profiler.flush();
    const rows = repository.listCompletions();
    expect(rows.map((row) => [row.requestId, row.systemSampleId])).toEqual([
      ['a', sampleId],
      ['b', sampleId],
    ]);

    await profiler.close();
    database.close();
  });

  it('rebuilds its statistics from the database at start', async () => {
    const file = path.join(temporaryDirectory(), 'switchyard.db');
    const noSampling = { ...config, system_sample_interval_ms: 0 };

    const first = openDatabase(file);
    const before = createProfiler({
      repository: createProfileRepository(first),
      metrics: createMetrics(),
      config: noSampling,
      log: vi.fn(),
    });
    await before.start();
    for (let index = 0; index < 5; index++) {
      before.record(minimalProfile({ requestId: `r${index}`, decodeTokensPerSecond: 10 * (index + 1) }));
    }
    await before.close();
    first.close();

    const second = openDatabase(file);
    const after = createProfiler({
      repository: createProfileRepository(second),
      metrics: createMetrics(),
      config: noSampling,
      log: vi.fn(),
    });
    await after.start();
    expect(after.stats.all()).toEqual(before.stats.all());
    expect(after.stats.get('ollama', 'qwen2.5-coder:7b')?.decodeTokensPerSecond.mean).toBe(30);
    await after.close();
    second.close();
  });

  it('never lets a recording failure reach the request', async () => {
    const database = openDatabase(':memory:');
    const log = vi.fn();
    const profiler = createProfiler({
      repository: createProfileRepository(database),
      metrics: createMetrics(),
      config: { ...config, system_sample_interval_ms: 0 },
      log,
    });
    // A field that throws when read stands in for any bug in the bookkeeping.
    const broken = minimalProfile({ timeToFirstTokenMs: 5 });
    Object.defineProperty(broken, 'provider', {
      get() {
        throw new Error('boom');
      },
    });
    expect(() => profiler.record(broken)).not.toThrow();
    expect(() => profiler.record(broken)).not.toThrow();
    expect(log).toHaveBeenCalledTimes(1);
    await profiler.close();
    database.close();
  });
});
