/**
 * @module routing/prefix-cache
 * Remembers which prompts were recently sent to each local model, so the predictor can expect Ollama's
 * prompt (KV) cache to skip a shared prefix: a coding tool's next turn repeats the whole conversation so
 * far, and only the new part needs prefill. Prompts are kept as chains of per-message hashes; the
 * expected cache hit is the estimated size of the longest chain prefix shared with a recent prompt.
 * Pure data structure: the gateway feeds it, `decide()` reads it.
 */

/** Cumulative hashes of a prompt's messages, and the estimated tokens up to each message. */
export interface PromptChain {
  hashes: number[];
  tokensThrough: number[];
}

/** FNV-1a over a string, continued from `seed`: cheap, and collisions only cost a misprediction. */
function fnv1a(text: string, seed: number): number {
  let hash = seed >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function promptChain(
  messages: ReadonlyArray<{ role: string; text: string }>,
  charactersPerToken = 3.6,
): PromptChain {
  const hashes: number[] = [];
  const tokensThrough: number[] = [];
  let hash = 0x811c9dc5;
  let tokens = 0;
  for (const message of messages) {
    hash = fnv1a(message.text, fnv1a(message.role, hash));
    tokens += message.text.length / charactersPerToken + 6;
    hashes.push(hash);
    tokensThrough.push(tokens);
  }
  return { hashes, tokensThrough };
}

export class PrefixCacheTracker {
  private readonly recent = new Map<string, PromptChain[]>();

  /**
   * `slots`: the engine's parallel slots per model (`routing.local_parallel_slots`). Ollama's runner
   * keeps one prompt cache per slot and serves a prompt on the slot whose cache shares the longest
   * prefix with it, so a conversation that goes on reuses its own slot and leaves the others' caches
   * alone; a prompt that shares nothing takes the least recently used slot.
   */
  constructor(private readonly slots = 1) {}

  /** Records a prompt that was sent to `model`: it now fills the slot the engine would have chosen. */
  remember(model: string, chain: PromptChain): void {
    let chains = this.recent.get(model);
    if (!chains) {
      chains = [];
      this.recent.set(model, chains);
    }
    let chosen = -1;
    let longest = 0;
    for (const [index, previous] of chains.entries()) {
      const shared = sharedMessages(previous, chain, chain.hashes.length);
      if (shared > longest) {
        longest = shared;
        chosen = index;
      }
    }
    // Most recently used first: with no shared prefix, the last entry (least recently used) is replaced.
    if (chosen >= 0) chains.splice(chosen, 1);
    chains.unshift(chain);
    if (chains.length > this.slots) chains.length = this.slots;
  }

  /** Estimated tokens of `chain` that `model` likely has cached. Whole messages only; the last never counts. */
  expectedCachedTokens(model: string, chain: PromptChain): number {
    const chains = this.recent.get(model);
    if (!chains) return 0;
    let best = 0;
    for (const previous of chains) {
      const shared = sharedMessages(previous, chain, chain.hashes.length - 1);
      if (shared > 0) best = Math.max(best, chain.tokensThrough[shared - 1]!);
    }
    return Math.floor(best);
  }

  /** The model left memory (or failed): its slots' caches are gone. */
  forget(model: string): void {
    this.recent.delete(model);
  }
}

/** Leading messages `previous` and `chain` share, counting at most `limit` of `chain`'s. */
function sharedMessages(previous: PromptChain, chain: PromptChain, limit: number): number {
  const most = Math.min(previous.hashes.length, limit);
  let shared = 0;
  while (shared < most && previous.hashes[shared] === chain.hashes[shared]) shared += 1;
  return shared;
}
