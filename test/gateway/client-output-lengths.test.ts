/**
 * @module test/gateway/client-output-lengths
 * Per-client answer-length statistics: an exponentially weighted geometric mean that tracks change, and
 * a spread reported only once enough answers have come in.
 */
import { describe, expect, it } from 'vitest';
import { ClientOutputLengths } from '../../src/gateway/client-output-lengths.js';

describe('client output lengths', () => {
  it('knows nothing of a client before its first answer, then starts at that answer', () => {
    const lengths = new ClientOutputLengths();
    expect(lengths.typicalTokens('a')).toBeUndefined();
    lengths.record('a', 200);
    expect(lengths.typicalTokens('a')).toBeCloseTo(200, 6);
    expect(lengths.typicalTokens('b')).toBeUndefined();
  });

  it('moves a tenth of the way towards each new answer on the log scale', () => {
    const lengths = new ClientOutputLengths();
    lengths.record('a', 100);
    lengths.record('a', 1000);
    expect(lengths.typicalTokens('a')).toBeCloseTo(100 * 10 ** 0.1, 6);
  });

  it('reports the spread from the fifth answer on', () => {
    const lengths = new ClientOutputLengths();
    for (let answer = 0; answer < 4; answer++) lengths.record('a', answer % 2 === 0 ? 100 : 400);
    expect(lengths.logSigma('a')).toBeUndefined();
    lengths.record('a', 100);
    expect(lengths.logSigma('a')).toBeGreaterThan(0);
    const steady = new ClientOutputLengths();
    for (let answer = 0; answer < 5; answer++) steady.record('b', 50);
    expect(steady.logSigma('b')).toBe(0);
  });

  it('takes an empty answer as one token', () => {
    const lengths = new ClientOutputLengths();
    lengths.record('a', 0);
    expect(lengths.typicalTokens('a')).toBe(1);
  });

  it('keeps the newest 64 answer lengths, sorted, from the twelfth answer on', () => {
    const lengths = new ClientOutputLengths();
    for (let answer = 1; answer <= 11; answer++) lengths.record('a', answer * 10);
    expect(lengths.recentLengths('a')).toBeUndefined();
    lengths.record('a', 5);
    expect(lengths.recentLengths('a')).toEqual([5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
    // 100 answers in all: the oldest 36 (5, 10, …) have been replaced by the newest.
    for (let answer = 13; answer <= 100; answer++) lengths.record('a', 1000 + answer);
    const recent = lengths.recentLengths('a')!;
    expect(recent).toHaveLength(64);
    expect(recent[0]).toBe(1037);
    expect(recent.at(-1)).toBe(1100);
    expect(lengths.recentLengths('b')).toBeUndefined();
  });

  it('keeps answers cut at max_tokens out of the lengths answers are known to end at', () => {
    const lengths = new ClientOutputLengths();
    for (let answer = 1; answer <= 12; answer++) lengths.record('a', 100 + answer);
    lengths.record('a', 256, true);
    expect(lengths.recentLengths('a')).not.toContain(256);
    expect(lengths.recentLengths('a')).toHaveLength(12);
    // The log-normal's level still moves towards it.
    const before = lengths.typicalTokens('a')!;
    lengths.record('a', 4096, true);
    expect(lengths.typicalTokens('a')!).toBeGreaterThan(before);
  });

  it('remembers at most 256 clients, forgetting the one least recently heard from', () => {
    const lengths = new ClientOutputLengths();
    for (let client = 0; client < 256; client++) lengths.record(`client-${client}`, 100);
    // client-0 answers again: client-1 is now the least recently heard from.
    lengths.record('client-0', 100);
    lengths.record('client-256', 100);
    expect(lengths.typicalTokens('client-0')).toBeDefined();
    expect(lengths.typicalTokens('client-1')).toBeUndefined();
    expect(lengths.typicalTokens('client-2')).toBeDefined();
    expect(lengths.typicalTokens('client-256')).toBeDefined();
  });
});
