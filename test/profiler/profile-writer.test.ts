import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import {
  type CompletionRecord,
  createProfileRepository,
  type ProfileRepository,
} from '../../src/db/profile-repository.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { createProfileWriter, type ProfileWriterOptions } from '../../src/profiler/profile-writer.js';
import { minimalProfile } from './fixtures.js';

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

function writer(overrides: Partial<ProfileWriterOptions> = {}) {
  return createProfileWriter({
    write: (rows) => repository.insertCompletions(rows),
    metrics,
    log: () => {},
    flushIntervalMs: 60_000,
    flushBatchSize: 1000,
    ...overrides,
  });
}

function rows(count: number, prefix = 'r'): CompletionRecord[] {
  return Array.from({ length: count }, (_, index) => minimalProfile({ requestId: `${prefix}${index}` }));
}

async function writeErrors(): Promise<number> {
  return (await metrics.profileWriteErrors.get()).values[0]?.value ?? 0;
}

describe('profile writer', () => {
  it('does not write on enqueue; flush writes', async () => {
    const profileWriter = writer();
    for (const row of rows(3)) profileWriter.enqueue(row);
    expect(repository.countCompletions()).toBe(0);
    expect(profileWriter.pending).toBe(3);

    await profileWriter.flush();
    expect(repository.countCompletions()).toBe(3);
    expect(profileWriter.pending).toBe(0);
  });

  it('schedules a write once a batch has queued, but not inline', async () => {
    const write = vi.fn((batch: readonly CompletionRecord[]) => repository.insertCompletions(batch));
    const profileWriter = writer({ write, flushBatchSize: 10 });
    for (const row of rows(9)) profileWriter.enqueue(row);
    await new Promise((resolve) => setImmediate(resolve));
    expect(write).not.toHaveBeenCalled();

    profileWriter.enqueue(minimalProfile({ requestId: 'tenth' }));
    expect(write).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(repository.countCompletions()).toBe(10));
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('writes on its timer once started', async () => {
    const profileWriter = writer({ flushIntervalMs: 10 });
    profileWriter.start();
    profileWriter.enqueue(minimalProfile());
    await vi.waitFor(() => expect(repository.countCompletions()).toBe(1));
    await profileWriter.close();
  });

  it('drains everything on close, in batches, and ignores rows after it', async () => {
    const write = vi.fn((batch: readonly CompletionRecord[]) => repository.insertCompletions(batch));
    const profileWriter = writer({ write, flushBatchSize: 200 });
    profileWriter.start();
    for (const row of rows(1000)) profileWriter.enqueue(row);
    await profileWriter.close();
    expect(repository.countCompletions()).toBe(1000);
    expect(write.mock.calls.every(([batch]) => batch.length <= 200)).toBe(true);
    expect(repository.listCompletions().map((row) => row.requestId)).toEqual(
      rows(1000).map((row) => row.requestId),
    );

    profileWriter.enqueue(minimalProfile());
    await profileWriter.flush();
    expect(repository.countCompletions()).toBe(1000);
    expect(profileWriter.dropped).toBe(1);
  });

  it('keeps a failed batch for the next flush, counts it and logs once', async () => {
    let failures = 2;
    const log = vi.fn();
    const profileWriter = writer({
      log,
      write: (batch) => {
        if (failures > 0) {
          failures -= 1;
          throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        }
        repository.insertCompletions(batch);
      },
    });
    for (const row of rows(5)) profileWriter.enqueue(row);

    await profileWriter.flush();
    await profileWriter.flush();
    expect(repository.countCompletions()).toBe(0);
    expect(profileWriter.pending).toBe(5);
    expect(await writeErrors()).toBe(2);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]?.[0]).toMatch(/database is locked.*keeping 5 rows/);

    await profileWriter.flush();
    expect(repository.countCompletions()).toBe(5);
    expect(log).toHaveBeenCalledTimes(2); // the recovery
  });

  it('caps the queue while writes fail, dropping the oldest rows with one warning', async () => {
    const log = vi.fn();
    let failing = true;
    const profileWriter = writer({
      log,
      maxQueuedRows: 5,
      write: (batch) => {
        if (failing) throw new Error('disk I/O error');
        repository.insertCompletions(batch);
      },
    });
    for (const row of rows(8)) profileWriter.enqueue(row);
    expect(profileWriter.pending).toBe(5);
    expect(profileWriter.dropped).toBe(3);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]?.[0]).toMatch(/queue is full/);

    failing = false;
    await profileWriter.flush();
    expect(repository.listCompletions().map((row) => row.requestId)).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
    expect(log.mock.calls.at(-1)?.[0]).toMatch(/3 rows were dropped/);
  });

  it('writes only the rows queued when flush was called', async () => {
    let arrivals = rows(3, 'late');
    const profileWriter = writer({
      write: (batch) => {
        repository.insertCompletions(batch);
        // Rows that arrive while a flush is under way wait for the next one.
        for (const row of arrivals) profileWriter.enqueue(row);
        arrivals = [];
      },
    });
    for (const row of rows(4)) profileWriter.enqueue(row);
    await profileWriter.flush();
    expect(repository.countCompletions()).toBe(4);
    expect(profileWriter.pending).toBe(3);
  });
});
