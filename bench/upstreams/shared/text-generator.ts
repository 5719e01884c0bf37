/**
 * @module Deterministic filler text and the simulators' token arithmetic. Each generated piece counts as
 * exactly one output token, so `[sim:tokens=N]` can promise N tokens; input is counted at ~4 characters
 * per token, a rule anyone can recompute in a test.
 */
import { pick, type RandomSource, randomInt } from './seeded-random.js';

const WORDS = (
  'the model route local cloud latency token stream request answer value simple fast budget cache ' +
  'prompt result system signal queue layer graph under over with from into each every small large ' +
  'quiet steady clear river harbor amber cedar maple stone north south bright early later measure ' +
  'decide switch yard track train signal engine depot freight rail and but so then when because it ' +
  'this that we you they is are was can will should might keeps makes takes sends reads writes ' +
  'turns'
).split(' ');

/** The simulators' whole tokenizer: deterministic and easy to reproduce outside them. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** `count` word tokens forming loose sentences; piece 0 has no leading space, the rest do. */
export function generateWordPieces(random: RandomSource, count: number): string[] {
  const pieces: string[] = [];
  let sentenceLeft = randomInt(random, 6, 14);
  let startOfSentence = true;
  for (let index = 0; index < count; index++) {
    let word = pick(random, WORDS);
    if (startOfSentence) word = word.charAt(0).toUpperCase() + word.slice(1);
    startOfSentence = false;
    sentenceLeft--;
    const last = index === count - 1;
    if (sentenceLeft === 0 || last) {
      word += '.';
      sentenceLeft = randomInt(random, 6, 14);
      startOfSentence = true;
    } else if (random() < 0.08) {
      word += ',';
    }
    pieces.push(index === 0 ? word : ` ${word}`);
  }
  return pieces;
}

/** Splits given text (an echo, a JSON document) into one-token pieces of at most ~4 characters. */
export function splitIntoPieces(text: string): string[] {
  const pieces: string[] = [];
  for (const word of text.match(/\s*\S+|\s+$/g) ?? []) {
    for (let offset = 0; offset < word.length; offset += 4) pieces.push(word.slice(offset, offset + 4));
  }
  return pieces;
}

/** Groups one-token pieces into deltas of `min`..`max` tokens, as providers flush a few tokens at a time. */
export function groupPieces(
  random: RandomSource,
  pieces: readonly string[],
  min: number,
  max: number,
): Array<{ text: string; tokens: number }> {
  const groups: Array<{ text: string; tokens: number }> = [];
  let index = 0;
  while (index < pieces.length) {
    const size = Math.min(randomInt(random, min, max), pieces.length - index);
    groups.push({ text: pieces.slice(index, index + size).join(''), tokens: size });
    index += size;
  }
  return groups;
}

/** Splits a string at arbitrary points, as Anthropic does with `partial_json` fragments. */
export function splitAtRandomPoints(random: RandomSource, text: string, min: number, max: number): string[] {
  const fragments: string[] = [];
  let offset = 0;
  while (offset < text.length) {
    const size = randomInt(random, min, max);
    fragments.push(text.slice(offset, offset + size));
    offset += size;
  }
  return fragments;
}
