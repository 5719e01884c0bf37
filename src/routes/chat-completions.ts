/**
 * @module routes/chat-completions
 * `POST /v1/chat/completions`: parse → resolve the model → plan attempts → run them until one answers →
 * encode its events as SSE chunks or one JSON body. Streaming and non-streaming share every step but
 * the last. Decision headers go on both.
 */
import { Hono } from 'hono';
import { type AppDeps, type AppEnv, runnerDeps } from '../app-env.js';
import { asGatewayError, toErrorBody } from '../errors.js';
import { type StartedAttempt, startAttempts } from '../gateway/attempt-runner.js';
import { type Plan, planAttempts } from '../gateway/plan.js';
import { readJsonBody } from '../http/read-json-body.js';
import { requestHeader } from '../http/request-header.js';
import { randomToken } from '../http/request-id.js';
import { formatSseData } from '../http/sse.js';
import { respondWithSse, type SseSource } from '../http/sse-response.js';
import { type ChatRequest, parseChatRequest } from '../openai/chat-request.js';
import { ChunkEncoder, CompletionCollector, type ResponseIdentity } from '../openai/chat-response.js';
import { measureRequest } from '../openai/request-size.js';

const doneEvent = formatSseData('[DONE]');

export function createChatRoutes(deps: AppDeps) {
  const routes = new Hono<AppEnv>();

  // Requests refused before any upstream attempt (bad body, unknown model) are counted here, as `none`.
  routes.use('/v1/chat/completions', async (c, next) => {
    await next();
    if (!c.get('attemptsRan')) countRequest(deps, undefined, c.res.status);
  });

  routes.post('/v1/chat/completions', async (c) => {
    const receivedAt = c.get('receivedAt');
    const requestId = c.get('requestId');
    const signal = c.req.raw.signal;
    const body = await readJsonBody(
      c.req.raw,
      deps.config.server.body_limit_bytes,
      requestHeader(c, 'content-length'),
    );
    const request = parseChatRequest(body);
    const resolved = await deps.catalog.resolve(request.model, signal);
    const plan = await planAttempts(resolved, {
      request,
      // A getter: only routing (`auto`) reads the headers, and building the web Headers costs per request.
      get headers() {
        return c.req.raw.headers;
      },
      catalog: deps.catalog,
      signal,
      router: deps.router,
    });
    if (plan.routed && plan.attempts[0]) {
      deps.metrics.routeDecisions.inc({
        route: plan.attempts[0].provider.locality,
        reason: plan.reason ?? 'unknown',
      });
    }
    const size = measureRequest(request);
    const decision = {
      ...(plan.reason !== undefined ? { reason: plan.reason } : {}),
      ...(plan.complexity !== undefined ? { complexity: plan.complexity } : {}),
    };
    let started: StartedAttempt;
    c.set('attemptsRan', true);
    try {
      started = await startAttempts(runnerDeps(deps), plan.attempts, request, {
        requestId,
        receivedAt,
        signal,
        size,
        decision,
      });
    } catch (error) {
      countRequest(deps, plan.attempts.at(-1), asGatewayError(error).status);
      throw error;
    }

    const served = started.attempt;
    const previous = started.escalatedFrom[0];
    if (previous)
      deps.metrics.escalations.inc({ from_provider: previous.provider.id, to_provider: served.provider.id });
    const identity: ResponseIdentity = {
      id: `chatcmpl-${randomToken(deps.random, 24)}`,
      created: Math.floor(deps.clock.now() / 1000),
      model: `${served.provider.id}/${served.model}`,
    };
    const headers = decisionHeaders(plan, started);
    // Set here rather than by the app's middleware: setting it on a response already returned makes Hono
    // and @hono/node-server rebuild that response as a full web Response (costly per request).
    headers['x-request-id'] = requestId;
    const finishRequest = (status: number) => {
      const elapsed = deps.clock.monotonic() - receivedAt;
      const route = served.provider.locality;
      countRequest(deps, served, status);
      deps.metrics.requestDuration.observe(
        { provider: served.provider.id, model: served.model, route },
        elapsed / 1000,
      );
      const overheadMs = Math.max(0, elapsed - started.upstreamWaitMs());
      deps.metrics.overhead.observe({ route }, overheadMs / 1000);
      return overheadMs;
    };

    if (!request.stream) {
      const collector = new CompletionCollector();
      try {
        for await (const event of started.events) collector.add(event);
      } catch (error) {
        finishRequest(asGatewayError(error).status);
        throw error;
      }
      const overheadMs = finishRequest(200);
      headers['x-switchyard-overhead-ms'] = overheadMs.toFixed(3);
      headers['content-type'] = 'application/json';
      c.set('requestIdSent', true);
      return new Response(JSON.stringify(collector.result(identity)), { status: 200, headers });
    }

    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    headers.connection = 'keep-alive';
    c.set('requestIdSent', true);
    return respondWithSse(c.env, headers, sseSource(request, identity, started, finishRequest), (error) =>
      deps.log('error', 'cannot send a streamed answer', {
        requestId,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  });

  return routes;
}

function countRequest(
  deps: AppDeps,
  attempt: { provider: { id: string }; model: string } | undefined,
  status: number,
) {
  deps.metrics.requests.inc({
    provider: attempt?.provider.id ?? 'none',
    model: attempt?.model ?? 'none',
    status: String(status),
  });
}

/** A plain record (lower-case names), which the Node server writes without building a Headers object. */
function decisionHeaders(plan: Plan, started: StartedAttempt): Record<string, string> {
  const served = started.attempt;
  const headers: Record<string, string> = {
    'x-switchyard-route': served.provider.locality,
    'x-switchyard-provider': served.provider.id,
    'x-switchyard-model': headerSafe(served.model),
  };
  if (plan.reason !== undefined) headers['x-switchyard-reason'] = plan.reason;
  if (served.predictedTotalMs !== undefined) {
    headers['x-switchyard-predicted-ms'] = Math.round(served.predictedTotalMs).toString();
  }
  const previous = started.escalatedFrom.map((attempt) => `${attempt.provider.id}/${attempt.model}`);
  if (previous.length > 0) headers['x-switchyard-escalated-from'] = headerSafe(previous.join(', '));
  return headers;
}

/**
 * A model id as a header value: ids come from the client (an upstream may accept what a header cannot
 * carry, such as a trailing newline), and Node refuses control characters and non-Latin-1 in headers.
 */
function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '').trim();
}

/**
 * The SSE text of the answer, produced one upstream event at a time as the HTTP layer asks for it, so a
 * slow client applies backpressure to the upstream. A failure after the first byte ends the stream with
 * an OpenAI error event and no `[DONE]`, so clients see an error, never a truncation that looks like
 * success.
 */
function sseSource(
  request: ChatRequest,
  identity: ResponseIdentity,
  started: StartedAttempt,
  finishRequest: (status: number) => number,
): SseSource {
  const encoder = new ChunkEncoder(identity, request.includeUsage);
  const events = started.events;
  let finished = false;
  const finish = (status: number) => {
    if (finished) return;
    finished = true;
    finishRequest(status);
  };
  return {
    async next() {
      if (finished) return undefined;
      try {
        const next = await events.next();
        if (next.done) {
          finish(200);
          return doneEvent;
        }
        let text = '';
        for (const chunk of encoder.encode(next.value)) text += formatSseData(JSON.stringify(chunk));
        return text;
      } catch (thrown) {
        const error = asGatewayError(thrown);
        finish(error.status);
        return error.kind === 'client_aborted' ? '' : formatSseData(JSON.stringify(toErrorBody(error)));
      }
    },
    cancel() {
      started.cancel();
      void events.return(undefined);
      finish(499);
    },
  };
}
