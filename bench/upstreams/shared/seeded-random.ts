/**
 * @module Seeded pseudo-randomness for the simulated Anthropic and Gemini servers. Tests and benchmarks
 * must see the same text, ids and timings for the same seed, so nothing here touches Math.random().
 */

/** A function returning uniformly distributed numbers in [0, 1). */
export type RandomSource = () => number;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** mulberry32: tiny, fast and good enough to make simulated output look varied. */
export function createRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, so that the same request body always derives the same content seed. */
export function hashString(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** An integer in [min, max], both inclusive. */
export function randomInt(random: RandomSource, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One element of a non-empty list. */
export function pick<T>(random: RandomSource, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick() needs a non-empty list');
  return items[Math.floor(random() * items.length)]!;
}

/** Provider ids look like `msg_01XFDUDYJgAACzvnptvVoYEL`: a fixed prefix and base62 characters. */
export function randomId(random: RandomSource, length: number, alphabet = BASE62): string {
  let id = '';
  for (let index = 0; index < length; index++) {
    id += alphabet[Math.floor(random() * alphabet.length)] ?? '0';
  }
  return id;
}
