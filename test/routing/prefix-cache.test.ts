/**
 * @module test/routing/prefix-cache
 * The prefix-cache tracker: a conversation's next turn is expected to reuse the engine's cache for the
 * messages it repeats; an unrelated prompt reuses nothing; the last message never counts; memory per
 * model is bounded by its slots.
 */
import { describe, expect, it } from 'vitest';
import { PrefixCacheTracker, promptChain } from '../../src/routing/prefix-cache.js';

const model = 'ollama\u0000qwen2.5-coder:7b';
const system = { role: 'system', text: 'You are a careful senior engineer. Answer with code.'.repeat(20) };
const turn1 = [system, { role: 'user', text: 'Write a function that parses ISO dates.' }];
const turn2 = [
  ...turn1,
  { role: 'assistant', text: 'function parse(text) { return new Date(text); }' },
  { role: 'user', text: 'Now make it reject invalid input.' },
];

describe('promptChain', () => {
  it('hashes cumulatively and counts estimated tokens per message', () => {
    const chain = promptChain(turn2);
    expect(chain.hashes).toHaveLength(4);
    expect(new Set(chain.hashes).size).toBe(4);
    // 3.6 characters per token plus 6 for the template around each message.
    expect(chain.tokensThrough[0]).toBeCloseTo(system.text.length / 3.6 + 6, 9);
    expect(chain.tokensThrough[3]! > chain.tokensThrough[2]!).toBe(true);
    expect(promptChain(turn1).hashes).toEqual(chain.hashes.slice(0, 2));
  });

  it('the role is part of the hash', () => {
    const asUser = promptChain([{ role: 'user', text: system.text }]);
    const asSystem = promptChain([{ role: 'system', text: system.text }]);
    expect(asUser.hashes[0]).not.toBe(asSystem.hashes[0]);
  });
});

describe('PrefixCacheTracker', () => {
  it("a conversation's next turn shares everything the previous prompt sent", () => {
    const tracker = new PrefixCacheTracker();
    tracker.remember(model, promptChain(turn1));
    const next = promptChain(turn2);
    // Both messages of turn 1 are a prefix of turn 2.
    expect(tracker.expectedCachedTokens(model, next)).toBe(Math.floor(next.tokensThrough[1]!));
  });

  it('an unrelated prompt shares nothing, and another model has nothing cached', () => {
    const tracker = new PrefixCacheTracker();
    tracker.remember(model, promptChain(turn1));
    const unrelated = promptChain([
      { role: 'system', text: 'You translate French.' },
      { role: 'user', text: 'Bonjour' },
    ]);
    expect(tracker.expectedCachedTokens(model, unrelated)).toBe(0);
    expect(tracker.expectedCachedTokens('ollama\u0000llama3.2:3b', promptChain(turn2))).toBe(0);
  });

  it('the last message never counts, even when the same prompt is sent again', () => {
    const tracker = new PrefixCacheTracker();
    const chain = promptChain(turn2);
    tracker.remember(model, chain);
    expect(tracker.expectedCachedTokens(model, chain)).toBe(Math.floor(chain.tokensThrough[2]!));
    const single = promptChain([{ role: 'user', text: 'hello' }]);
    tracker.remember(model, single);
    expect(tracker.expectedCachedTokens(model, single)).toBe(0);
  });

  it('a shared system prompt alone counts; a changed earlier message stops the match there', () => {
    const tracker = new PrefixCacheTracker();
    tracker.remember(model, promptChain(turn2));
    const edited = promptChain([
      system,
      { role: 'user', text: 'Something else entirely.' },
      ...turn2.slice(2),
    ]);
    expect(tracker.expectedCachedTokens(model, edited)).toBe(Math.floor(edited.tokensThrough[0]!));
  });

  it('remembers at most `slots` prompts per model, newest first', () => {
    const tracker = new PrefixCacheTracker(2);
    const conversations = [0, 1, 2].map((index) => [
      { role: 'system', text: `Conversation ${index} `.repeat(30) },
      { role: 'user', text: `question ${index}` },
    ]);
    for (const conversation of conversations) tracker.remember(model, promptChain(conversation));
    const followUp = (index: number) =>
      promptChain([
        ...conversations[index]!,
        { role: 'assistant', text: 'ok' },
        { role: 'user', text: 'more' },
      ]);
    expect(tracker.expectedCachedTokens(model, followUp(0))).toBe(0);
    expect(tracker.expectedCachedTokens(model, followUp(1))).toBeGreaterThan(0);
    expect(tracker.expectedCachedTokens(model, followUp(2))).toBeGreaterThan(0);
  });

  it('a conversation that goes on reuses its own slot and leaves the other slots’ caches alone', () => {
    // Two slots, two conversations: A1, B1, A2, A3. Ollama serves A2 and A3 on A's slot (longest shared
    // prefix), so B's slot still holds B1 and B's next turn finds it cached.
    const tracker = new PrefixCacheTracker(2);
    const conversation = (name: string) => [
      { role: 'system', text: `Conversation ${name} `.repeat(30) },
      { role: 'user', text: `question ${name}` },
    ];
    const a = conversation('A');
    const b = conversation('B');
    const a2 = [...a, { role: 'assistant', text: 'a1' }, { role: 'user', text: 'a2' }];
    const a3 = [...a2, { role: 'assistant', text: 'a2' }, { role: 'user', text: 'a3' }];
    for (const prompt of [a, b, a2, a3]) tracker.remember(model, promptChain(prompt));
    const b2 = promptChain([...b, { role: 'assistant', text: 'b1' }, { role: 'user', text: 'b2' }]);
    expect(tracker.expectedCachedTokens(model, b2)).toBe(Math.floor(b2.tokensThrough[1]!));
    // A third, unrelated conversation takes the least recently used slot: B's, not A's.
    tracker.remember(model, promptChain(conversation('C')));
    expect(tracker.expectedCachedTokens(model, b2)).toBe(0);
    const a4 = promptChain([...a3, { role: 'assistant', text: 'a3' }, { role: 'user', text: 'a4' }]);
    expect(tracker.expectedCachedTokens(model, a4)).toBe(Math.floor(a4.tokensThrough[5]!));
  });

  it('forget() drops what a model had (after a failure the engine may have lost it)', () => {
    const tracker = new PrefixCacheTracker();
    tracker.remember(model, promptChain(turn1));
    tracker.forget(model);
    expect(tracker.expectedCachedTokens(model, promptChain(turn2))).toBe(0);
  });
});
