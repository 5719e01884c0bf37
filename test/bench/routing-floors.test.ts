/**
 * @module test/bench/routing-floors
 * The routing bench's knowledge-limited first-token bound draws the running answers' lengths from what
 * switchyard can know of them: its client's last 64 finished answers, only those ended by then and
 * longer than the answer already is. If it drew from anything else, the bound would not be switchyard's.
 */
import { describe, expect, it } from 'vitest';
import { type FinishedAnswer, pastAnswersDraw } from '../../bench/routing/floors.js';
import type { WorkloadRequest } from '../../bench/routing/workload.js';
import { createRandom } from '../../bench/upstreams/shared/seeded-random.js';

const request = (client: WorkloadRequest['client']) => ({ client }) as WorkloadRequest;
const answers = (client: WorkloadRequest['client'], endsAt: number, lengths: number[]): FinishedAnswer[] =>
  lengths.map((tokens, index) => ({ client, endsAt: endsAt + index, tokens }));

function drawsOf(
  draw: ReturnType<typeof pastAnswersDraw>,
  client: WorkloadRequest['client'],
  above: number,
  now: number,
) {
  const random = createRandom(3);
  return new Set(Array.from({ length: 400 }, () => draw(random, request(client), above, now)));
}

describe('pastAnswersDraw', () => {
  it('draws only its client’s answers ended by then, longer than the answer already is', () => {
    const draw = pastAnswersDraw([
      ...answers('chat', 0, [100, 200, 300, 400, 500, 600]),
      ...answers('batch', 0, [1000, 2000, 3000, 4000, 5000]),
      // Ended after `now`: not known yet.
      ...answers('chat', 10_000, [999, 998, 997, 996]),
    ]);
    expect(drawsOf(draw, 'chat', 250, 5000)).toEqual(new Set([300, 400, 500, 600]));
  });

  it('keeps the last 64 answers of the client', () => {
    const old = answers('chat', 0, Array(10).fill(900));
    const recent = answers('chat', 100, [...Array(60).fill(50), 700, 710, 720, 730]);
    const draw = pastAnswersDraw([...old, ...recent]);
    expect(drawsOf(draw, 'chat', 600, 10_000)).toEqual(new Set([700, 710, 720, 730]));
  });

  it('falls back to the true distribution with fewer than four longer answers', () => {
    const draw = pastAnswersDraw(answers('chat', 0, [100, 200, 300, 400, 500, 600]));
    const draws = drawsOf(draw, 'chat', 450, 5000);
    expect([...draws].some((length) => length !== 500 && length !== 600)).toBe(true);
    expect([...draws].every((length) => length >= 450)).toBe(true);
  });
});
