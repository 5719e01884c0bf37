/**
 * @module directives
 * In-band instructions to the simulator, written in the last user message, so a test or benchmark can
 * ask for an exact behaviour through any client without a side channel. Same syntax as the other
 * simulated upstreams (bench/upstreams/shared), so one test prompt steers every provider alike:
 *
 * - `[sim:tokens=N]`: exactly N content tokens (num_predict still cuts them, with done_reason "length");
 * - `[sim:tool]`: call the first tool; `[sim:tool=NAME]`: call that tool;
 * - `[sim:json]`: answer with a JSON object even without `format`;
 * - `[sim:stop]`: end half-way as if the first stop sequence had been generated (done_reason "stop");
 * - `[sim:echo]`: answer with the message's own text, directives removed;
 * - `[sim:finish=REASON]`: report this done_reason.
 */

export interface Directives {
  tokens?: number;
  tool?: { name?: string };
  json: boolean;
  stop: boolean;
  echo: boolean;
  finish?: string;
}

const directivePattern = /\[sim:([a-z-]+)(?:=([^\]]*))?\]/gi;

export function parseDirectives(text: string): Directives {
  const directives: Directives = { json: false, stop: false, echo: false };
  for (const match of text.matchAll(directivePattern)) {
    const name = (match[1] ?? '').toLowerCase();
    const value = match[2]?.trim();
    if (name === 'tokens' && value !== undefined && /^\d+$/.test(value)) directives.tokens = Number(value);
    else if (name === 'tool') directives.tool = value ? { name: value } : {};
    else if (name === 'finish' && value) directives.finish = value;
    else if (name === 'json' || name === 'stop' || name === 'echo') directives[name] = true;
  }
  return directives;
}

export function stripDirectives(text: string): string {
  return text
    .replace(directivePattern, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
}
