/**
 * @module test/e2e/routing-persistence
 * Learned outcomes end to end: answers the local model got wrong (cut by length when the client set no
 * max_tokens) make routing call it unreliable for that kind of task and send such tasks to the cloud,
 * other kinds of task are not affected, failures before the first token are not held against the
 * answers, and what was learned is saved to the learned_outcomes table on close and loaded on start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import {
  autoRequest,
  decisionHeaders,
  explain,
  localModel,
  routingConfig,
  warmUp,
} from './routing-helpers.js';

const directory = mkdtempSync(join(tmpdir(), 'switchyard-routing-restart-'));
const databasePath = join(directory, 'switchyard.db');
const simpleTask = 'Say hello. [sim:tokens=5]';
const moderateTask = 'Design a plan for the greeting. [sim:tokens=5]';

let first: Harness | undefined;
let second: Harness | undefined;

beforeAll(async () => {
  first = await startHarness({ cloud: true, databasePath, config: routingConfig() });
  await warmUp(first);
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  rmSync(directory, { recursive: true, force: true });
});

async function send(harness: Harness, content: string) {
  const { response } = await harness.openai.chat.completions.create(autoRequest(content)).withResponse();
  return decisionHeaders(response);
}

it('a failure before the first token does not count against the model', async () => {
  const harness = first!;
  harness.ollama.setFault({ kind: 'refuse', model: localModel, times: 1 });
  expect((await send(harness, simpleTask)).escalatedFrom).toBe(`ollama/${localModel}`);
  expect(harness.switchyard.routingState.outcomes.successRate('ollama', localModel, 'simple')).toBeCloseTo(
    4 / 5,
    9,
  );
  expect((await send(harness, simpleTask)).reason).toBe('local_fast_enough');
});

it('answers cut by length make the model unreliable for simple tasks only', async () => {
  const harness = first!;
  expect((await explain(harness, autoRequest(moderateTask))).complexity).toBe('moderate');
  for (let index = 0; index < 3; index++) {
    const headers = await send(harness, `Say hello ${index}. [sim:tokens=5] [sim:finish=length]`);
    if (headers.route === 'cloud') break;
  }
  const rate = harness.switchyard.routingState.outcomes.successRate('ollama', localModel, 'simple');
  expect(rate).toBeLessThan(harness.config.routing.min_local_success_rate);

  const decision = await explain(harness, autoRequest(simpleTask));
  expect(decision.reason).toBe('local_unreliable');
  expect(decision.sentence).toContain('simple tasks');
  // The cloud first, the local model kept as the last resort.
  expect(decision.attempts.map((attempt) => attempt.locality)).toEqual(['cloud', 'local']);
  expect(await send(harness, simpleTask)).toMatchObject({ route: 'cloud', reason: 'local_unreliable' });
  expect((await explain(harness, autoRequest(moderateTask))).reason).toBe('local_fast_enough');
});

it('what was learned is saved on close and loaded by the next start on the same database', async () => {
  const learned = first!.switchyard.routingState.outcomes.rows();
  await first!.close();
  first = undefined;

  second = await startHarness({ cloud: true, databasePath, config: routingConfig() });
  const stored = second.switchyard.repository.loadLearnedOutcomes();
  const simple = stored.find((row) => row.model === localModel && row.complexity === 'simple');
  expect(simple).toBeDefined();
  const before = learned.find((row) => row.model === localModel && row.complexity === 'simple')!;
  expect(simple!.failures).toBeCloseTo(before.failures, 9);
  expect(simple!.successes).toBeCloseTo(before.successes, 9);

  const outcomes = second.switchyard.routingState.outcomes;
  expect(outcomes.successRate('ollama', localModel, 'simple')).toBeLessThan(
    second.config.routing.min_local_success_rate,
  );
  expect((await explain(second, autoRequest(simpleTask))).reason).toBe('local_unreliable');
});
