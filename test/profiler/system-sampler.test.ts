import { totalmem } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import { createProfileRepository, type ProfileRepository } from '../../src/db/profile-repository.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import type { SystemSample } from '../../src/profiler/completion-profile.js';
import {
  createSystemSampler,
  readSystemSample,
  type SampleSystem,
  sampleThisMachine,
} from '../../src/profiler/system-sampler.js';
import { systemSample } from './fixtures.js';

let database: Database;
let repository: ProfileRepository;
let metrics: Metrics;

beforeEach(() => {
  database = openDatabase(':memory:');
  repository = createProfileRepository(database);
  metrics = createMetrics();
});

afterEach(() => {
  database.close();
});

async function gauge(name: keyof Metrics): Promise<number | undefined> {
  const metric = metrics[name];
  if (!('get' in metric)) throw new Error(`${name} is not a metric`);
  return (await metric.get()).values[0]?.value;
}

function sampler(sample: SampleSystem, log = vi.fn(), intervalMs = 60_000) {
  return createSystemSampler({ sample, intervalMs, repository, metrics, log });
}

describe('system sampler', () => {
  it('stores each sample, remembers its id and sets the gauges', async () => {
    const sample = systemSample({ gpuUtilizationPercent: 50, vramUsedBytes: 1024, vramTotalBytes: 4096 });
    const systemSampler = sampler(async () => sample);
    expect(systemSampler.latest()).toBeUndefined();

    const latest = await systemSampler.sampleNow();
    expect(latest).toEqual({ id: 1, sample });
    expect(systemSampler.latest()).toBe(latest);
    expect(repository.latestSystemSample()).toStrictEqual({ ...sample, id: 1 });
    expect(await gauge('cpuLoad')).toBeCloseTo(0.425);
    expect(await gauge('memoryUsed')).toBe(sample.memoryUsedBytes);
    expect(await gauge('gpuUtilization')).toBeCloseTo(0.5);
    expect(await gauge('vramTotal')).toBe(4096);
  });

  it('logs a failing sample once, keeps the previous one and never throws', async () => {
    const log = vi.fn();
    let fail = false;
    const systemSampler = sampler(async () => {
      if (fail) throw new Error('nvidia-smi timed out');
      return systemSample();
    }, log);
    await systemSampler.sampleNow();
    fail = true;
    await expect(systemSampler.sampleNow()).resolves.toEqual({ id: 1, sample: systemSample() });
    await systemSampler.sampleNow();
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]?.[0]).toMatch(/nvidia-smi timed out/);
  });

  it('keeps a sample it could not store, without an id', async () => {
    const log = vi.fn();
    const systemSampler = createSystemSampler({
      sample: async () => systemSample(),
      intervalMs: 60_000,
      repository: {
        insertSystemSample: () => {
          throw new Error('database is locked');
        },
      },
      metrics,
      log,
    });
    expect(await systemSampler.sampleNow()).toEqual({ id: undefined, sample: systemSample() });
    expect(log).toHaveBeenCalledTimes(1);
    expect(await gauge('cpuLoad')).toBeCloseTo(0.425);
  });

  it('never runs two samples at once, however slow one is', async () => {
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    const slow: SampleSystem = async () => {
      active += 1;
      calls += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 25));
      active -= 1;
      return systemSample({ sampledAt: Date.now() });
    };
    const systemSampler = sampler(slow, vi.fn(), 1);
    systemSampler.start();
    const joined = [systemSampler.sampleNow(), systemSampler.sampleNow()];
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(3), { timeout: 2000 });
    await systemSampler.stop();
    await Promise.all(joined);
    expect(maxActive).toBe(1);
  });

  it('discards a sample still in progress when stopped', async () => {
    let finish: (sample: SystemSample) => void = () => {};
    const systemSampler = sampler(() => new Promise((resolve) => (finish = resolve)));
    systemSampler.start();
    await systemSampler.stop();
    finish(systemSample());
    await systemSampler.sampleNow();
    expect(repository.latestSystemSample()).toBeUndefined();
  });

  it('maps the sources: active memory, busiest GPU, VRAM summed and converted from MiB', async () => {
    const sample = await readSystemSample(
      {
        cpuLoadPercent: () => 12.5,
        mem: async () => ({ active: 3000, total: 8000 }),
        gpus: async () => [
          { utilizationPercent: 30, memoryUsedMiB: 1024, memoryTotalMiB: 8192 },
          { utilizationPercent: 90, memoryUsedMiB: 2048, memoryTotalMiB: 8192 },
          {}, // a GPU whose driver reports nothing
        ],
      },
      () => 7,
    );
    expect(sample).toEqual({
      sampledAt: 7,
      cpuLoadPercent: 12.5,
      memoryUsedBytes: 3000,
      memoryTotalBytes: 8000,
      gpuUtilizationPercent: 90,
      vramUsedBytes: 3 * 1024 ** 3,
      vramTotalBytes: 16 * 1024 ** 3,
    });
  });

  it('leaves GPU fields undefined without a GPU, or when reading it fails', async () => {
    const base = { cpuLoadPercent: () => 1, mem: async () => ({ active: 1, total: 2 }) };
    const none = await readSystemSample({ ...base, gpus: async () => [] });
    const failing = await readSystemSample({
      ...base,
      gpus: () => Promise.reject(new Error('NVIDIA-SMI has failed')),
    });
    for (const sample of [none, failing]) {
      expect(sample.cpuLoadPercent).toBe(1);
      expect(sample.gpuUtilizationPercent).toBeUndefined();
      expect(sample.vramUsedBytes).toBeUndefined();
      expect(sample.vramTotalBytes).toBeUndefined();
    }
  });

  it('reads this machine', async () => {
    const sample = await sampleThisMachine()();
    expect(sample.memoryTotalBytes).toBeGreaterThan(0);
    expect(sample.memoryUsedBytes).toBeGreaterThan(0);
    expect(sample.memoryUsedBytes).toBeLessThanOrEqual(sample.memoryTotalBytes);
    if (sample.vramTotalBytes !== undefined) expect(sample.vramTotalBytes).toBeGreaterThan(0);
  });

  it('off Linux reads memory from the OS, not from systeminformation (which blocks there)', async () => {
    const sample = await sampleThisMachine('darwin')();
    expect(sample.memoryTotalBytes).toBe(totalmem());
    expect(sample.memoryUsedBytes).toBeGreaterThan(0);
    expect(sample.memoryUsedBytes).toBeLessThanOrEqual(totalmem());
  });
});
