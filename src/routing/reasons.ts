/**
 * @module routing/reasons
 * Every reason a routing decision can give, as a stable code (in headers, metrics and the database) and
 * a sentence a person can read (in /v1/route/explain and logs).
 */
import type { ComplexityClass } from '../config/schema.js';
import type { SentenceFacts } from './decide.js';

export const reasonCodes = [
  'local_fast_enough',
  'local_too_slow',
  'local_unreliable',
  'prompt_too_large',
  'complexity_not_allowed',
  'no_local_model',
  'no_cloud_available',
  'exploring',
  'forced_local',
  'forced_cloud',
  'private',
  'local_only',
  'budget_exhausted',
] as const;

export type ReasonCode = (typeof reasonCodes)[number];

interface Facts extends SentenceFacts {
  deadlines: { ttftMs: number; totalMs: number };
  complexity: ComplexityClass;
}

const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'no limit');

export function reasonSentence(reason: ReasonCode, facts: Facts): string {
  const best = facts.best;
  const name = best ? `${best.candidate.provider}/${best.candidate.model}` : 'no local model';
  const predicted = best
    ? `predicted first token ${ms(best.times.ttftMs)} (p90 ${ms(best.times.ttftHighMs)}), total ${ms(best.times.totalMs)} (p90 ${ms(best.times.totalHighMs)})`
    : '';
  const deadlines = `deadlines: first token ${ms(facts.deadlines.ttftMs)}, total ${ms(facts.deadlines.totalMs)}`;
  switch (reason) {
    case 'local_fast_enough':
      return `${name} meets the deadlines: ${predicted}; ${deadlines}.`;
    case 'local_too_slow':
      return `No local model meets the deadlines (fastest: ${name}, ${predicted}); ${deadlines}. Escalated to the cloud.`;
    case 'local_unreliable':
      return `Local models have mostly failed on ${facts.complexity} tasks lately (errors, cut-off or invalid answers). Escalated to the cloud.`;
    case 'prompt_too_large':
      return facts.limit !== undefined
        ? `The prompt is over the ${facts.limit}-token limit for local models. Escalated to the cloud.`
        : `The prompt does not fit any local model's context. Escalated to the cloud.`;
    case 'complexity_not_allowed':
      return `The task looks ${facts.complexity}, which the policy keeps off local models. Escalated to the cloud.`;
    case 'no_local_model':
      return 'No local model is available (none installed, or the engine is down or failing). Escalated to the cloud.';
    case 'no_cloud_available':
      return `No cloud provider is available (no key set, or all failing), so ${name} answers whatever the deadlines.`;
    case 'exploring':
      return `Trying ${name} although its prediction is uncertain (${predicted}), to keep learning how fast it is.`;
    case 'forced_local':
      return `The request asked for a local answer (x-switchyard-route: local); ${name} answers.`;
    case 'forced_cloud':
      return 'The request asked for a cloud answer (x-switchyard-route: cloud).';
    case 'private':
      return `A privacy rule matched this request, so it stays on this machine; ${name} answers.`;
    case 'local_only':
      return `Routing is in local_only mode; ${name} answers.`;
    case 'budget_exhausted':
      return `Today's cloud budget is spent ($${(facts.spent ?? 0).toFixed(4)} of $${(facts.budget ?? 0).toFixed(2)}), so ${name} answers.`;
  }
}
