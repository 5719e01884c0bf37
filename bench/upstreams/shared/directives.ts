/**
 * @module The `[sim:…]` directives a test writes into the last user message to steer a simulated model
 * (exact length, tool call, JSON, stop sequence, echo, finish reason), plus the plain-language cues
 * ("use the tool", a tool's name) that make the simulated model call a tool as a real one would.
 */

/** What the last user message asked of the simulated model. */
export interface Directives {
  /** `[sim:tokens=N]`: exactly N visible output tokens, unless the max-token limit is lower. */
  readonly tokens: number | undefined;
  /** `[sim:tool]`: call a tool (the first one, or those named in the message). */
  readonly tool: boolean;
  /** `[sim:json]`: answer with a JSON document (from the requested schema when there is one). */
  readonly json: boolean;
  /** `[sim:stop]`: stop half-way on the request's first stop sequence. */
  readonly stop: boolean;
  /** `[sim:echo]`: answer with the message's own text, directives removed. */
  readonly echo: boolean;
  /** `[sim:finish=REASON]`: end with this provider finish/stop reason (e.g. `SAFETY`, `refusal`). */
  readonly finish: string | undefined;
}

const DIRECTIVE = /\[sim:([a-z-]+)(?:=([^\]]*))?\]/gi;

export function parseDirectives(text: string): Directives {
  let tokens: number | undefined;
  let finish: string | undefined;
  const flags = new Set<string>();
  for (const match of text.matchAll(DIRECTIVE)) {
    const name = (match[1] ?? '').toLowerCase();
    const value = match[2]?.trim();
    if (name === 'tokens' && value !== undefined && /^\d+$/.test(value)) tokens = Number(value);
    else if (name === 'finish' && value) finish = value;
    else flags.add(name);
  }
  return {
    tokens,
    tool: flags.has('tool'),
    json: flags.has('json'),
    stop: flags.has('stop'),
    echo: flags.has('echo'),
    finish,
  };
}

export function stripDirectives(text: string): string {
  return text
    .replace(DIRECTIVE, '')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

const ASKS_FOR_A_TOOL = /\b(use|call|invoke|run) (the|a|an|your|some) (tool|function)s?\b/i;

/**
 * The tools the message asks for, in declaration order: those it names, or the first declared tool when
 * it asks generically (`[sim:tool]`, "use the tool"). Empty when it does not ask for any.
 */
export function requestedTools(text: string, toolNames: readonly string[], directives: Directives): string[] {
  const named = toolNames.filter((name) => new RegExp(`\\b${escapeRegExp(name)}\\b`).test(text));
  if (named.length > 0) return named;
  const first = toolNames[0];
  if (first !== undefined && (directives.tool || ASKS_FOR_A_TOOL.test(text))) return [first];
  return [];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
