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

  /** `slots`: prompts remembered per model (Ollama keeps one cache per parallel slot). */
  constructor(private readonly slots = 4) {}

  /** Records a prompt that was sent to `model`. */
  remember(model: string, chain: PromptChain): void {
    let chains = this.recent.get(model);
    if (!chains) {
      chains = [];
      this.recent.set(model, chains);
    }
    chains.unshift(chain);
    if (chains.length > this.slots) chains.length = this.slots;
  }

  /**
   * Estimated tokens of `chain` that `model` likely has cached. Whole messages only; the last never counts.
   * `slots`: the engine's parallel slots for the model, when known. Each slot keeps the cache of the
   * last prompt it served, so only the newest `slots` prompts can still be cached: an older one's slot
   * has since served another prompt.
   */
  expectedCachedTokens(model: string, chain: PromptChain, slots = this.slots): number {
    const chains = this.recent.get(model);
    if (!chains) return 0;
    let best = 0;
    for (const previous of chains.slice(0, Math.max(0, slots))) {
      const limit = Math.min(previous.hashes.length, chain.hashes.length - 1);
      let shared = 0;
      while (shared < limit && previous.hashes[shared] === chain.hashes[shared]) shared += 1;
      if (shared > 0) best = Math.max(best, chain.tokensThrough[shared - 1]!);
    }
    return Math.floor(best);
  }

  forget(model: string): void {
    this.recent.delete(model);
  }
}
