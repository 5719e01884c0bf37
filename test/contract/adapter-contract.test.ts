/**
 * @module test/contract/adapter-contract
 * The one contract every provider adapter passes (DESIGN.md, convention 4): the same cases, run with
 * `describe.each` against Ollama, Claude and Gemini through the official `openai` SDK and the whole app
 * (HTTP → routes → attempt runner → adapter → simulated upstream). A case that does not apply to an
 * adapter is skipped with its reason in the test name; the reasons live in the table in `adapters.ts`,
 * the cases in `answer-cases.ts` and `failure-cases.ts`.
 */
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { type ContractAdapter, type ContractUpstream, contractAdapters } from './adapters.js';
import { answerCases } from './answer-cases.js';
import type { ContractContext } from './contract-helpers.js';
import { failureCases } from './failure-cases.js';

/** Fast enough for the whole contract to run in seconds, slow enough that streams are still paced. */
const speedFactor = 100;
const wrongKey = 'sk-wrong-contract-secret-0123456789';

let harness: Harness;
let wrongKeys: Harness;
let noKeys: Harness;
let slow: Harness;

beforeAll(async () => {
  [harness, wrongKeys, noKeys, slow] = await Promise.all([
    startHarness({ cloud: true, speedFactor }),
    startHarness({
      cloud: true,
      speedFactor,
      env: { ANTHROPIC_API_KEY: wrongKey, GEMINI_API_KEY: wrongKey },
    }),
    startHarness({
      cloud: true,
      speedFactor,
      env: { ANTHROPIC_API_KEY: undefined, GEMINI_API_KEY: undefined, GOOGLE_API_KEY: undefined },
    }),
    startHarness({ cloud: true, speedFactor: 10 }),
  ]);
});

afterAll(async () => {
  await Promise.all([harness?.close(), wrongKeys?.close(), noKeys?.close(), slow?.close()]);
});

describe.each(contractAdapters)('$provider adapter ($model)', (adapter: ContractAdapter) => {
  let upstream: ContractUpstream;

  beforeEach(() => {
    upstream = adapter.upstream(harness);
    upstream.setFault(null);
    upstream.clearRequests();
  });

  const contract: ContractContext = {
    adapter,
    harness: () => harness,
    wrongKeys: () => wrongKeys,
    noKeys: () => noKeys,
    slow: () => slow,
    upstream: () => upstream,
  };
  answerCases(contract);
  failureCases(contract, wrongKey);
});
