/**
 * @module test/e2e/gateway-shutdown
 * Graceful shutdown: profile rows still queued in memory when `switchyard.close()` is called are in
 * the database file afterwards, and a restarted switchyard rebuilds its statistics from them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { createProfileRepository } from '../../src/db/profile-repository.js';
import { silentLogger } from '../../src/log.js';
import { createSwitchyard } from '../../src/switchyard.js';
import { type Harness, startHarness } from '../support/harness.js';

const model = 'ollama/llama3.2:3b';

let harness: Harness;

beforeAll(async () => {
  // A flush interval far longer than the test: rows stay queued until close() writes them.
  harness = await startHarness({
    config: { profiler: { flush_interval_ms: 600_000, flush_batch_size: 1000 } },
  });
});

afterAll(async () => {
  await harness?.close();
});

describe('graceful shutdown', () => {
  it('writes the rows queued before close() to the database file', async () => {
    const requestIds = ['e2e-shutdown-1', 'e2e-shutdown-2', 'e2e-shutdown-3'];
    for (const requestId of requestIds) {
      await harness.openai.chat.completions.create(
        { model, messages: [{ role: 'user', content: `Row ${requestId}. [sim:tokens=2]` }] },
        { headers: { 'x-request-id': requestId } },
      );
    }
    harness.ollama.setFault({ kind: 'model-not-found', times: 1 });
    await harness.openai.chat.completions
      .create(
        { model, messages: [{ role: 'user', content: 'fails' }] },
        { headers: { 'x-request-id': 'e2e-shutdown-failed' } },
      )
      .catch(() => undefined);

    // Still queued: nothing written yet.
    expect(harness.switchyard.repository.countCompletions()).toBe(0);

    await harness.switchyard.close();

    const path = harness.config.database.path;
    const database = openDatabase(path);
    try {
      const rows = createProfileRepository(database).listCompletions();
      expect(rows.map((row) => row.requestId)).toEqual([...requestIds, 'e2e-shutdown-failed']);
      expect(rows.slice(0, 3).every((row) => row.outcome === 'ok' && row.evalCount === 2)).toBe(true);
      expect(rows[3]).toMatchObject({ outcome: 'upstream_error', errorKind: 'model_not_found' });
    } finally {
      database.close();
    }
  });

  it('close() is idempotent', async () => {
    await expect(harness.switchyard.close()).resolves.toBeUndefined();
  });

  it('a restarted switchyard on the same database starts with the statistics of those rows', async () => {
    const restarted = createSwitchyard({ config: harness.config, env: {}, log: silentLogger });
    await restarted.start();
    try {
      const stats = restarted.profiler.stats.get('ollama', 'llama3.2:3b');
      expect(stats).toMatchObject({ successes: 3, errors: 1 });
      expect(stats!.decodeTokensPerSecond.count).toBe(3);
    } finally {
      await restarted.close();
    }
  });
});
