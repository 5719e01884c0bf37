/**
 * @module bench/routing/client
 * Sends one workload request to switchyard as a streamed OpenAI chat completion and measures, as the
 * client sees them, the time to the first content token and to the end of the answer, with the
 * decision headers switchyard returned.
 */
import type { WorkloadRequest } from './workload.js';

export interface ClientResult {
  status: number;
  /** Real ms from sending to the first content delta; undefined when none arrived. */
  ttftMs: number | undefined;
  /** Real ms from sending to the end of the stream. */
  totalMs: number;
  route: string | undefined;
  model: string | undefined;
  reason: string | undefined;
  predictedTotalMs: number | undefined;
  requestId: string | undefined;
  escalatedFrom: string | undefined;
  completionTokens: number;
  error?: string;
}

export interface SendOptions {
  url: string;
  model: string;
  /** Real milliseconds (already scaled). */
  deadlineHeaderMs: number;
  /** Stop waiting after this many real ms (a safety net so the bench always ends). */
  timeoutMs: number;
}

export async function sendRequest(request: WorkloadRequest, options: SendOptions): Promise<ClientResult> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('bench timeout')), options.timeoutMs);
  let ttftMs: number | undefined;
  let completionTokens = 0;
  try {
    const response = await fetch(`${options.url}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: {
        'content-type': 'application/json',
        'user-agent': request.userAgent,
        'x-switchyard-deadline-ms': String(options.deadlineHeaderMs),
        'x-request-id': `bench-${request.index}`,
      },
      body: JSON.stringify({
        model: options.model,
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: request.maxTokens,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.user },
        ],
      }),
    });
    const header = (name: string) => response.headers.get(name) ?? undefined;
    const predicted = header('x-switchyard-predicted-ms');
    const base = {
      status: response.status,
      route: header('x-switchyard-route'),
      model: header('x-switchyard-model'),
      reason: header('x-switchyard-reason'),
      predictedTotalMs: predicted === undefined ? undefined : Number(predicted),
      requestId: header('x-request-id'),
      escalatedFrom: header('x-switchyard-escalated-from'),
    };
    if (response.status !== 200 || !response.body) {
      const text = await response.text();
      return {
        ...base,
        ttftMs,
        totalMs: performance.now() - started,
        completionTokens,
        error: text.slice(0, 300),
      };
    }
    const decoder = new TextDecoder();
    let buffered = '';
    let error: string | undefined;
    for await (const bytes of response.body) {
      buffered += decoder.decode(bytes as Uint8Array, { stream: true });
      let end = buffered.indexOf('\n\n');
      while (end !== -1) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf('\n\n');
        for (const line of event.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') continue;
          const chunk = JSON.parse(data) as {
            choices?: Array<{ delta?: { content?: string | null } }>;
            usage?: { completion_tokens?: number } | null;
            error?: { message?: string };
          };
          if (chunk.error) error = chunk.error.message ?? 'stream error';
          if (ttftMs === undefined && chunk.choices?.some((choice) => (choice.delta?.content ?? '') !== '')) {
            ttftMs = performance.now() - started;
          }
          if (chunk.usage?.completion_tokens !== undefined) completionTokens = chunk.usage.completion_tokens;
        }
      }
    }
    return {
      ...base,
      ttftMs,
      totalMs: performance.now() - started,
      completionTokens,
      ...(error !== undefined ? { error } : {}),
    };
  } catch (thrown) {
    return {
      status: 0,
      ttftMs,
      totalMs: performance.now() - started,
      route: undefined,
      model: undefined,
      reason: undefined,
      predictedTotalMs: undefined,
      requestId: undefined,
      escalatedFrom: undefined,
      completionTokens,
      error: thrown instanceof Error ? thrown.message : String(thrown),
    };
  } finally {
    clearTimeout(timer);
  }
}
