import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import { createProfileRepository, type ProfileRepository } from '../../src/db/profile-repository.js';
import { fullProfile, minimalProfile, systemSample } from '../profiler/fixtures.js';

let database: Database;
let repository: ProfileRepository;

beforeEach(() => {
  database = openDatabase(':memory:');
  repository = createProfileRepository(database);
});

afterEach(() => {
  database.close();
});

describe('profile repository', () => {
  it('round-trips a profile with every field set', () => {
    const sampleId = repository.insertSystemSample(systemSample());
    const profile = fullProfile();
    repository.insertCompletions([{ ...profile, systemSampleId: sampleId }]);

    const [row] = repository.listCompletions();
    expect(row).toStrictEqual({ ...profile, id: 1, systemSampleId: sampleId });
  });

  it('round-trips a minimal profile: absent fields come back absent, not null', () => {
    const profile = minimalProfile();
    repository.insertCompletions([profile]);

    const [row] = repository.listCompletions();
    expect(row).toStrictEqual({ ...profile, id: 1 });
    expect(row?.errorKind).toBeUndefined();
    expect(row?.coldStart).toBeUndefined();
    expect(row?.systemSampleId).toBeUndefined();
  });

  it('writes a batch in one transaction: all or none', () => {
    const good = minimalProfile({ requestId: 'good' });
    const bad = { ...minimalProfile({ requestId: 'bad' }), systemSampleId: 999 }; // no such sample
    expect(() => repository.insertCompletions([good, bad])).toThrow(/FOREIGN KEY/);
    expect(repository.countCompletions()).toBe(0);
  });

  it('inserts more rows than fit in one statement', () => {
    const rows = Array.from({ length: 450 }, (_, index) => minimalProfile({ requestId: `r${index}` }));
    repository.insertCompletions(rows);
    expect(repository.countCompletions()).toBe(450);
  });

  it('round-trips a system sample with and without GPU fields', () => {
    const cpuOnly = systemSample();
    const withGpu = systemSample({
      sampledAt: cpuOnly.sampledAt + 1,
      gpuUtilizationPercent: 93,
      vramUsedBytes: 6 * 1024 ** 3,
      vramTotalBytes: 24 * 1024 ** 3,
    });
    expect(repository.insertSystemSample(cpuOnly)).toBe(1);
    expect(repository.latestSystemSample()).toStrictEqual({ ...cpuOnly, id: 1 });
    expect(repository.insertSystemSample(withGpu)).toBe(2);
    expect(repository.latestSystemSample()).toStrictEqual({ ...withGpu, id: 2 });
  });

  it('lists by request id and limit', () => {
    repository.insertCompletions([
      minimalProfile({ requestId: 'a', attempt: 0 }),
      minimalProfile({ requestId: 'b' }),
      minimalProfile({ requestId: 'a', attempt: 1 }),
    ]);
    expect(repository.listCompletions({ requestId: 'a' }).map((row) => row.attempt)).toEqual([0, 1]);
    expect(repository.listCompletions({ limit: 2 }).map((row) => row.requestId)).toEqual(['a', 'b']);
  });

  it('returns the most recent N per provider+model, oldest first', () => {
    const rows = [];
    for (let index = 0; index < 5; index++) {
      rows.push(minimalProfile({ model: 'small', startedAt: 1000 + index, requestId: `s${index}` }));
      rows.push(minimalProfile({ model: 'large', startedAt: 2000 + index, requestId: `l${index}` }));
    }
    rows.push(minimalProfile({ provider: 'anthropic', model: 'small', locality: 'cloud', requestId: 'c0' }));
    repository.insertCompletions(rows);

    const recent = repository.recentCompletions({ perModelLimit: 2 });
    expect(recent.map((row) => row.requestId)).toEqual(['s3', 's4', 'l3', 'l4', 'c0']);
    expect(recent[0]).toStrictEqual({
      ...minimalProfile({ model: 'small', startedAt: 1003, requestId: 's3' }),
      id: 7,
    });
  });

  it('upserts learned outcomes', () => {
    expect(repository.loadLearnedOutcomes()).toEqual([]);
    const row = {
      provider: 'ollama',
      model: 'qwen',
      complexity: 'simple',
      successes: 3.5,
      failures: 0.25,
      updatedAt: 1,
    };
    repository.saveLearnedOutcomes([row, { ...row, complexity: 'complex', successes: 1 }]);
    repository.saveLearnedOutcomes([{ ...row, successes: 4.75, updatedAt: 2 }]);
    expect(repository.loadLearnedOutcomes()).toEqual([
      { ...row, complexity: 'complex', successes: 1 },
      { ...row, successes: 4.75, updatedAt: 2 },
    ]);
  });
});
