/**
 * @module test/routing/outcome-learning
 * Judging answers (errors, length cuts the client did not ask for, tool calls that do not fit the
 * tool's schema, empty answers) and the decayed success rate per model and complexity class built from
 * those verdicts: it falls with failures, recovers with successes, and survives a save and load.
 */
import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../../src/openai/chat-request.js';
import {
  type AnswerSummary,
  evidenceHalfLifeMs,
  judgeAnswer,
  OutcomeLearner,
} from '../../src/routing/outcome-learning.js';

const weather: ToolDefinition = {
  name: 'get_weather',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer' }, metric: { type: 'boolean' } },
    required: ['city'],
  },
};

function summary(overrides: Partial<AnswerSummary> = {}): AnswerSummary {
  return {
    failed: false,
    finishReason: 'stop',
    maxTokensGiven: false,
    textCharacters: 120,
    toolCalls: [],
    ...overrides,
  };
}

const call = (argumentsText: string, name = 'get_weather') =>
  summary({ textCharacters: 0, toolCalls: [{ name, arguments: argumentsText }] });

describe('judgeAnswer', () => {
  it('a normal answer is good', () => {
    expect(judgeAnswer(summary(), [])).toBe('good');
  });

  it('a failed attempt is an error, whatever else it produced', () => {
    expect(judgeAnswer(summary({ failed: true, finishReason: 'length' }), [])).toBe('error');
  });

  it('a length cut is truncated only when the client gave no max_tokens', () => {
    expect(judgeAnswer(summary({ finishReason: 'length' }), [])).toBe('truncated');
    expect(judgeAnswer(summary({ finishReason: 'length', maxTokensGiven: true }), [])).toBe('good');
  });

  it('an empty answer with no tool call is empty', () => {
    expect(judgeAnswer(summary({ textCharacters: 0 }), [])).toBe('empty');
  });

  it('tool-call arguments are checked against the tool schema', () => {
    expect(judgeAnswer(call('{"city":"Oslo","days":3,"metric":true}'), [weather])).toBe('good');
    // Missing a required property.
    expect(judgeAnswer(call('{"days":3}'), [weather])).toBe('invalid_tool_call');
    // Wrong types: a number for a string, a fraction for an integer, a string for a boolean.
    expect(judgeAnswer(call('{"city":42}'), [weather])).toBe('invalid_tool_call');
    expect(judgeAnswer(call('{"city":"Oslo","days":2.5}'), [weather])).toBe('invalid_tool_call');
    expect(judgeAnswer(call('{"city":"Oslo","metric":"yes"}'), [weather])).toBe('invalid_tool_call');
    // Not JSON, or JSON that is not an object.
    expect(judgeAnswer(call('{"city": "Oslo"'), [weather])).toBe('invalid_tool_call');
    expect(judgeAnswer(call('["Oslo"]'), [weather])).toBe('invalid_tool_call');
    // A tool the request did not offer.
    expect(judgeAnswer(call('{"city":"Oslo"}', 'get_time'), [weather])).toBe('invalid_tool_call');
  });

  it('one bad call among good ones makes the answer invalid', () => {
    const answer = summary({
      toolCalls: [
        { name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { name: 'get_weather', arguments: '{}' },
      ],
    });
    expect(judgeAnswer(answer, [weather])).toBe('invalid_tool_call');
  });
});

describe('OutcomeLearner', () => {
  const at = 1_750_000_000_000;

  it('starts trusting a model (above the default minimum of 0.6)', () => {
    const learner = new OutcomeLearner();
    expect(learner.successRate('ollama', 'qwen2.5-coder:7b', 'complex')).toBeCloseTo(4 / 5, 9);
  });

  it('the rate falls with failures and recovers with successes, per model and class', () => {
    const learner = new OutcomeLearner();
    for (let index = 0; index < 12; index++)
      learner.record('ollama', 'qwen2.5-coder:7b', 'complex', 'invalid_tool_call', at);
    const failing = learner.successRate('ollama', 'qwen2.5-coder:7b', 'complex');
    expect(failing).toBeLessThan(0.3);
    // Other classes and models are not affected.
    expect(learner.successRate('ollama', 'qwen2.5-coder:7b', 'simple')).toBeCloseTo(4 / 5, 9);
    expect(learner.successRate('ollama', 'llama3.2:3b', 'complex')).toBeCloseTo(4 / 5, 9);

    let previous = failing;
    for (let index = 0; index < 20; index++) {
      learner.record('ollama', 'qwen2.5-coder:7b', 'complex', 'good', at + index);
      const rate = learner.successRate('ollama', 'qwen2.5-coder:7b', 'complex');
      expect(rate).toBeGreaterThan(previous);
      previous = rate;
    }
    expect(previous).toBeGreaterThan(0.7);
  });

  it('one bad answer alone keeps a model above the minimum; two in a row take it below', () => {
    const learner = new OutcomeLearner();
    learner.record('ollama', 'm', 'simple', 'truncated', at);
    expect(learner.successRate('ollama', 'm', 'simple', at)).toBeGreaterThan(0.6);
    learner.record('ollama', 'm', 'simple', 'empty', at);
    expect(learner.successRate('ollama', 'm', 'simple', at)).toBeLessThan(0.6);
  });

  it('evidence fades with time, so a model taken off a class recovers without new verdicts', () => {
    const learner = new OutcomeLearner();
    for (let index = 0; index < 6; index++) learner.record('ollama', 'm', 'simple', 'error', at);
    expect(learner.successRate('ollama', 'm', 'simple', at)).toBeLessThan(0.5);
    const later = at + 4 * evidenceHalfLifeMs;
    expect(learner.successRate('ollama', 'm', 'simple', later)).toBeGreaterThan(0.6);
  });

  it('older verdicts fade: the same failures weigh less after many answers', () => {
    const learner = new OutcomeLearner();
    learner.record('ollama', 'm', 'simple', 'error', at);
    const [fresh] = learner.rows();
    for (let index = 0; index < 30; index++) learner.record('ollama', 'm', 'simple', 'good', at);
    const [later] = learner.rows();
    expect(fresh!.failures).toBe(1);
    expect(later!.failures).toBeCloseTo(0.97 ** 30, 9);
  });

  it('rows round-trip through a new learner, and version counts changes', () => {
    const learner = new OutcomeLearner();
    expect(learner.version).toBe(0);
    learner.record('ollama', 'qwen2.5-coder:7b', 'moderate', 'truncated', at);
    learner.record('ollama', 'qwen2.5-coder:7b', 'moderate', 'good', at + 1);
    learner.record('ollama', 'llama3.2:3b', 'simple', 'empty', at + 2);
    expect(learner.version).toBe(3);
    const rows = learner.rows();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      provider: 'ollama',
      model: 'qwen2.5-coder:7b',
      complexity: 'moderate',
      updatedAt: at + 1,
    });

    const restored = new OutcomeLearner(rows);
    expect(restored.rows()).toEqual(rows);
    for (const row of rows) {
      expect(restored.successRate(row.provider, row.model, row.complexity)).toBe(
        learner.successRate(row.provider, row.model, row.complexity),
      );
    }
    // Rows are copies: changing the learner later does not change what was saved.
    learner.record('ollama', 'llama3.2:3b', 'simple', 'good', at + 3);
    expect(rows[1]!.successes).toBe(0);
  });
});
