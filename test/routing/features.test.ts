/**
 * @module test/routing/features
 * What decide() knows about a request: the heuristic complexity class (a one-line question is simple, a
 * multi-file design request with stack traces is complex), the expected output from max_tokens or what
 * was learned, and the request's shape.
 */
import { describe, expect, it } from 'vitest';
import { parseChatRequest } from '../../src/openai/chat-request.js';
import { measureRequest } from '../../src/openai/request-size.js';
import { heuristicComplexityClassifier } from '../../src/routing/complexity.js';
import { defaultExpectedOutputTokens, extractFeatures } from '../../src/routing/features.js';

function featuresOf(body: Record<string, unknown>, learnedOutputTokens?: number) {
  const request = parseChatRequest({ model: 'auto', ...body });
  return extractFeatures({
    request,
    size: measureRequest(request),
    ...(learnedOutputTokens !== undefined ? { learnedOutputTokens } : {}),
  });
}

const ask = (content: string) => ({ messages: [{ role: 'user', content }] });

const stackTrace = [
  'TypeError: Cannot read properties of undefined (reading "id")',
  '    at resolveUser (src/auth/session.ts:41:17)',
  '    at handler (src/routes/profile.ts:12:9)',
  '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
].join('\n');

const designRequest = [
  'We need to refactor the session handling across the codebase: src/auth/session.ts, src/auth/tokens.ts,',
  'src/routes/profile.ts, src/db/users.ts and src/middleware/csrf.ts all touch it. Design a new architecture',
  'that removes the race condition between token refresh and logout, explain the trade-offs, and plan the',
  'migration step by step. It crashes in production with:',
  '```',
  stackTrace,
  '```',
  'and sometimes with a deadlock in src/db/pool.ts.',
].join('\n');

describe('complexity', () => {
  it('a one-line question is simple', () => {
    expect(featuresOf(ask('How do I reverse a list in Python?')).complexity).toBe('simple');
  });

  it('a multi-file design request with stack traces is complex', () => {
    const { complexity, signals } = heuristicComplexityClassifier.classify(designRequest, designRequest);
    expect(signals.fileCount).toBeGreaterThanOrEqual(5);
    expect(signals.errorTraceLines).toBeGreaterThanOrEqual(3);
    expect(signals.reasoningWords).toBeGreaterThanOrEqual(3);
    expect(complexity).toBe('complex');
    expect(featuresOf(ask(designRequest)).complexity).toBe('complex');
  });

  it('a one-file fix with its error is moderate at most', () => {
    const fix = `Fix this in src/auth/session.ts:\n\`\`\`\n${stackTrace}\n\`\`\``;
    expect(['simple', 'moderate']).toContain(featuresOf(ask(fix)).complexity);
  });

  it('design words count only in the latest user message, not in old turns or the system prompt', () => {
    const old = 'Design the architecture, plan the migration, explain the trade-offs and the security model.';
    const features = featuresOf({
      messages: [
        { role: 'system', content: old },
        { role: 'user', content: old },
        { role: 'assistant', content: 'Done.' },
        { role: 'user', content: 'Thanks! What time is it in UTC?' },
      ],
    });
    expect(features.complexity).toBe('simple');
    expect(features.conversationDepth).toBe(2);
  });
});

describe('expected output tokens', () => {
  it('max_tokens when it is below twice the learned length, and it is a hard cap', () => {
    const features = featuresOf({ ...ask('hi'), max_tokens: 100 }, 400);
    expect(features.expectedOutputTokens).toBe(100);
    expect(features.outputTokensGiven).toBe(true);
    expect(features.maxTokens).toBe(100);
  });

  it('a generous max_tokens is not taken as the expected length: twice the learned one is', () => {
    expect(featuresOf({ ...ask('hi'), max_tokens: 8000 }, 300).expectedOutputTokens).toBe(600);
    expect(featuresOf({ ...ask('hi'), max_completion_tokens: 8000 }, 300).expectedOutputTokens).toBe(600);
  });

  it('the learned length without max_tokens, the default without either', () => {
    const learned = featuresOf(ask('hi'), 250);
    expect(learned.expectedOutputTokens).toBe(250);
    expect(learned.outputTokensGiven).toBe(false);
    expect(learned.maxTokens).toBeUndefined();
    expect(featuresOf(ask('hi')).expectedOutputTokens).toBe(defaultExpectedOutputTokens);
  });
});

describe('request shape', () => {
  it('counts tools and images, notes structured output, and keeps the text for privacy rules', () => {
    const features = featuresOf({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture? api_key=sk-123' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      response_format: { type: 'json_object' },
    });
    expect(features.toolCount).toBe(1);
    expect(features.imageCount).toBe(1);
    expect(features.structuredOutput).toBe(true);
    expect(features.text).toContain('api_key=sk-123');
    expect(features.estimatedPromptTokens).toBeGreaterThan(768);
  });

  it('a plain-text response format is not structured output', () => {
    expect(featuresOf({ ...ask('hi'), response_format: { type: 'text' } }).structuredOutput).toBe(false);
  });
});
