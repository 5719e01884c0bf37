/**
 * @module test/routing/decide-policy
 * decide() on the policy side: what keeps a request on this machine (privacy, local_only, the budget, a
 * forced route, no cloud), what keeps it off local models (prompt size, context, complexity, learned
 * unreliability, none available), and a table that gives every reason code a situation of its own.
 */
import { describe, expect, it } from 'vitest';
import { type Decision, type DecisionInput, decide } from '../../src/routing/decide.js';
import { type ReasonCode, reasonCodes } from '../../src/routing/reasons.js';
import {
  cloudCandidate,
  decisionInput,
  features,
  fittedModel,
  localCandidate,
  noRandom,
  policy,
} from './fixtures.js';

/** Cold with a long load: the cloud would win on speed, so only a rule can keep it local. */
const slowLocal = localCandidate({ loaded: false, latency: fittedModel({ loadMs: 30_000 }) });
const localities = (decision: Decision) => decision.attempts.map((attempt) => attempt.locality);

describe('rules that keep a request local whatever the speed', () => {
  it('a privacy pattern in the text: private, and no cloud attempt at all', () => {
    const decision = decide(
      decisionInput({
        features: features({ text: 'Why does this fail?\nAWS_SECRET_ACCESS_KEY=abc123' }),
        local: [slowLocal],
        policy: policy({ privacyPatterns: [/secret_access_key/i] }),
        random: noRandom,
      }),
    );
    expect(decision.reason).toBe('private');
    expect(localities(decision)).toEqual(['local']);
    // Nothing to fall back to, so no first-token deadline that could abandon the only attempt.
    expect(decision.attempts[0]!.firstTokenDeadlineMs).toBeUndefined();
    expect(decision.sentence).toContain('privacy rule');
    expect(decision.sentence).toContain('ollama/qwen2.5-coder:7b answers');
  });

  it('a pattern that does not match changes nothing', () => {
    const decision = decide(
      decisionInput({ local: [slowLocal], policy: policy({ privacyPatterns: [/secret/i] }) }),
    );
    expect(decision.reason).toBe('local_too_slow');
  });

  it('the privacy header wins over a forced cloud route', () => {
    const decision = decide(
      decisionInput({ local: [slowLocal], overrides: { private: true, route: 'cloud' }, random: noRandom }),
    );
    expect(decision.reason).toBe('private');
    expect(localities(decision)).toEqual(['local']);
  });

  it('a private request tries the local models that meet the deadlines first', () => {
    const fast = localCandidate({ model: 'llama3.2:3b' });
    const decision = decide(decisionInput({ local: [slowLocal, fast], overrides: { private: true } }));
    expect(decision.attempts.map((attempt) => attempt.model)).toEqual(['llama3.2:3b', 'qwen2.5-coder:7b']);
    // The first may be abandoned for the second, so it has a deadline; the last has none.
    expect(decision.attempts[0]!.firstTokenDeadlineMs).toBeGreaterThan(0);
    expect(decision.attempts[1]!.firstTokenDeadlineMs).toBeUndefined();
  });

  it('a private request with no local model has no attempt (the gateway answers with an error)', () => {
    const decision = decide(decisionInput({ local: [], overrides: { private: true } }));
    expect(decision.reason).toBe('private');
    expect(decision.attempts).toEqual([]);
  });

  it('local_only mode', () => {
    const decision = decide(decisionInput({ local: [slowLocal], policy: policy({ local_only: true }) }));
    expect(decision.reason).toBe('local_only');
    expect(localities(decision)).toEqual(['local']);
    expect(decision.sentence).toContain('local_only');
  });

  it("the day's budget spent: local, saying how much of how much", () => {
    const input = decisionInput({ local: [slowLocal], policy: policy({ daily_budget_dollars: 2 }) });
    const spent = decide({ ...input, spentTodayDollars: 2.5 });
    expect(spent.reason).toBe('budget_exhausted');
    expect(localities(spent)).toEqual(['local']);
    expect(spent.sentence).toContain('$2.5000 of $2.00');
    expect(decide({ ...input, spentTodayDollars: 1.99, random: noRandom }).reason).toBe('local_too_slow');
  });

  it('a forced local route takes the slow local model, no cloud behind it', () => {
    const decision = decide(decisionInput({ local: [slowLocal], overrides: { route: 'local' } }));
    expect(decision.reason).toBe('forced_local');
    expect(localities(decision)).toEqual(['local']);
    expect(decision.sentence).toContain('x-switchyard-route: local');
  });

  it('no cloud available (none configured, all failing, or none with a large enough context): local', () => {
    for (const cloud of [
      [],
      [cloudCandidate({ available: false })],
      [cloudCandidate({ contextLength: 400 })],
    ]) {
      const decision = decide(decisionInput({ local: [slowLocal], cloud, random: noRandom }));
      expect(decision.reason).toBe('no_cloud_available');
      expect(localities(decision)).toEqual(['local']);
      expect(decision.attempts[0]!.firstTokenDeadlineMs).toBeUndefined();
    }
  });
});

describe('rules that send a request to the cloud', () => {
  it('a forced cloud route skips a fast local model entirely', () => {
    const decision = decide(decisionInput({ overrides: { route: 'cloud' } }));
    expect(decision.reason).toBe('forced_cloud');
    expect(localities(decision)).toEqual(['cloud']);
  });

  it('a forced cloud route with no cloud available has no attempt at all (never a quiet local answer)', () => {
    const decision = decide(decisionInput({ overrides: { route: 'cloud' }, cloud: [] }));
    expect(decision.reason).toBe('forced_cloud');
    expect(decision.attempts).toEqual([]);
  });

  it('a prompt over max_local_prompt_tokens: prompt_too_large, naming the limit', () => {
    const decision = decide(
      decisionInput({
        features: features({ estimatedPromptTokens: 9000 }),
        local: [localCandidate({ contextLength: 131_072 })],
        policy: policy({ max_local_prompt_tokens: 8000 }),
      }),
    );
    expect(decision.reason).toBe('prompt_too_large');
    expect(localities(decision)).toEqual(['cloud', 'local']);
    expect(decision.sentence).toContain('over the 8000-token limit');
  });

  it("a prompt over the model's context (after calibration) is not sent to it first", () => {
    const decision = decide(
      decisionInput({
        features: features({ estimatedPromptTokens: 7000 }),
        local: [localCandidate({ contextLength: 8192, latency: fittedModel({ tokenRatio: 1.2 }) })],
      }),
    );
    expect(decision.reason).toBe('prompt_too_large');
    // Not even as a last resort: it would only answer with its own context error.
    expect(localities(decision)).toEqual(['cloud']);
    expect(decision.sentence).toContain("does not fit any local model's context");
    // Without the calibration (7000 + 200 output ≤ 8192) it fits.
    const calibrated = localCandidate({ contextLength: 8192 });
    expect(
      decide(decisionInput({ features: features({ estimatedPromptTokens: 7000 }), local: [calibrated] }))
        .reason,
    ).not.toBe('prompt_too_large');
  });

  it('a complexity class the policy keeps off local models', () => {
    const decision = decide(
      decisionInput({
        features: features({ complexity: 'complex' }),
        policy: policy({ local_complexity: ['simple', 'moderate'] }),
      }),
    );
    expect(decision.reason).toBe('complexity_not_allowed');
    expect(localities(decision)).toEqual(['cloud', 'local']);
    expect(decision.sentence).toContain('looks complex');
  });

  it('a learned success rate below the minimum: local_unreliable; a reliable sibling is still used', () => {
    const shaky = localCandidate({ successRate: 0.5 });
    const decision = decide(
      decisionInput({ local: [shaky], features: features({ complexity: 'moderate' }) }),
    );
    expect(decision.reason).toBe('local_unreliable');
    expect(localities(decision)).toEqual(['cloud', 'local']);
    expect(decision.sentence).toContain('mostly failed on moderate tasks');

    const steady = localCandidate({ model: 'llama3.2:3b', successRate: 0.61 });
    const mixed = decide(decisionInput({ local: [shaky, steady] }));
    expect(mixed.reason).toBe('local_fast_enough');
    expect(mixed.attempts.map((attempt) => attempt.model)).toEqual(['llama3.2:3b', 'claude-haiku-4-5']);
  });

  it('no local model (none installed, or its circuit open): cloud only', () => {
    for (const local of [[], [localCandidate({ available: false })]]) {
      const decision = decide(decisionInput({ local }));
      expect(decision.reason).toBe('no_local_model');
      expect(localities(decision)).toEqual(['cloud']);
    }
  });

  it('cloud attempts keep their configured order, each predicted from its own typical speed', () => {
    const slowCloud = cloudCandidate({ provider: 'gemini', model: 'gemini-2.5-pro', typicalTtftMs: 3000 });
    const decision = decide(
      decisionInput({ cloud: [cloudCandidate(), slowCloud], overrides: { route: 'cloud' } }),
    );
    expect(decision.attempts.map((attempt) => attempt.model)).toEqual(['claude-haiku-4-5', 'gemini-2.5-pro']);
    expect(decision.attempts[1]!.predicted!.ttftMs).toBe(3000);
  });
});

/** One situation per reason code; the test fails when a code is added without one. */
const situations: Record<ReasonCode, Partial<DecisionInput>> = {
  local_fast_enough: {},
  local_too_slow: { local: [slowLocal] },
  local_unreliable: { local: [localCandidate({ successRate: 0.2 })] },
  prompt_too_large: { features: features({ estimatedPromptTokens: 50_000 }) },
  complexity_not_allowed: { policy: policy({ local_complexity: [] }) },
  no_local_model: { local: [] },
  no_cloud_available: { cloud: [] },
  exploring: {
    local: [localCandidate({ loaded: false, latency: fittedModel({ loadMs: 4000, logSigmaTtft: 0.5 }) })],
    random: () => 0,
  },
  forced_local: { overrides: { route: 'local' } },
  forced_cloud: { overrides: { route: 'cloud' } },
  private: { overrides: { private: true } },
  local_only: { policy: policy({ local_only: true }) },
  budget_exhausted: { policy: policy({ daily_budget_dollars: 0 }) },
};

describe('every reason code', () => {
  it.each(reasonCodes)('%s has a situation that produces it, and a sentence', (code) => {
    const situation = situations[code];
    expect(situation).toBeDefined();
    const decision = decide(decisionInput(situation));
    expect(decision.reason).toBe(code);
    expect(decision.attempts.length).toBeGreaterThan(0);
    expect(decision.sentence).toMatch(/^\S.{20,}\.$/);
    expect(decision.sentence).not.toMatch(/undefined|NaN/);
  });

  it('the table covers exactly the reason codes', () => {
    expect(Object.keys(situations).sort()).toEqual([...reasonCodes].sort());
  });
});
