/**
 * @module random
 * Seeded pseudo-random numbers, so that every simulated answer and timing is reproducible from the
 * simulator seed and the request: the same prompt gives the same text, the same jitter, the same length.
 */

/** 32-bit FNV-1a hash of a string, mixed with a seed; stable across runs and platforms. */
export function hashString(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Combines several seeds or keys into one 32-bit seed. */
export function mixSeeds(...parts: ReadonlyArray<number | string>): number {
  let hash = 0x9e3779b9;
  for (const part of parts) {
    const value = typeof part === 'number' ? hashString(String(part), hash) : hashString(part, hash);
    hash = Math.imul(hash ^ value, 0x85ebca6b) >>> 0;
    hash = (hash ^ (hash >>> 13)) >>> 0;
  }
  return hash;
}

/** A random source: a function returning numbers in [0, 1), plus helpers that read naturally at call sites. */
export interface Random {
  next(): number;
  /** Integer in [min, max], both inclusive. */
  integer(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

/** mulberry32: tiny, fast and good enough for simulated text; not for anything secret. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    integer: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
    chance: (probability) => next() < probability,
  };
}
