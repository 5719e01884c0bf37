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
import { randomToken } from '../http/request-id.js';
import { encodeSseData } from '../http/sse.js';
import { type ChatRequest, parseChatRequest } from '../openai/chat-request.js';
import { ChunkEncoder, CompletionCollector, type ResponseIdentity } from '../openai/chat-response.js';
import { measureRequest } from '../openai/request-size.js';

const doneEvent = encodeSseData('[DONE]');

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
    const body = await readJsonBody(c.req.raw, deps.config.server.body_limit_bytes);
    const request = parseChatRequest(body);
    const resolved = await deps.catalog.resolve(request.model, signal);
    const plan = await planAttempts(resolved, {
      request,
      headers: c.req.raw.headers,
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
    // Set here as well as by the app's middleware: its fallback, setting it on a response already returned,
    // makes Hono and @hono/node-server rebuild that response as a full web Response (costly per request).
    headers.set('x-request-id', requestId);
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
      headers.set('x-switchyard-overhead-ms', overheadMs.toFixed(3));
      headers.set('content-type', 'application/json');
      return new Response(JSON.stringify(collector.result(identity)), { status: 200, headers });
    }

    headers.set('content-type', 'text/event-stream; charset=utf-8');
    headers.set('cache-control', 'no-cache');
    headers.set('connection', 'keep-alive');
    return new Response(streamBody(request, identity, started, finishRequest), { status: 200, headers });
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

function decisionHeaders(plan: Plan, started: StartedAttempt): Headers {
  const served = started.attempt;
  const headers = new Headers({
    'x-switchyard-route': served.provider.locality,
    'x-switchyard-provider': served.provider.id,
    'x-switchyard-model': served.model,
  });
  if (plan.reason !== undefined) headers.set('x-switchyard-reason', plan.reason);
  if (served.predictedTotalMs !== undefined) {
    headers.set('x-switchyard-predicted-ms', Math.round(served.predictedTotalMs).toString());
  }
  const previous = started.escalatedFrom.map((attempt) => `${attempt.provider.id}/${attempt.model}`);
  if (previous.length > 0) headers.set('x-switchyard-escalated-from', previous.join(', '));
  return headers;
}

/**
 * The SSE body, pulled by the HTTP layer one event at a time so a slow client applies backpressure to
 * the upstream. A failure after the first byte ends the stream with an OpenAI error event and no
 * `[DONE]`, so clients see an error, never a truncation that looks like success.
 */
function streamBody(
  request: ChatRequest,
  identity: ResponseIdentity,
  started: StartedAttempt,
  finishRequest: (status: number) => number,
): ReadableStream<Uint8Array> {
  const encoder = new ChunkEncoder(identity, request.includeUsage);
  const events = started.events;
  let finished = false;
  const finish = (status: number) => {
    if (finished) return;
    finished = true;
    finishRequest(status);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await events.next();
          if (next.done) {
            controller.enqueue(doneEvent);
            controller.close();
            finish(200);
            return;
          }
          for (const chunk of encoder.encode(next.value))
            controller.enqueue(encodeSseData(JSON.stringify(chunk)));
        } catch (thrown) {
          const error = asGatewayError(thrown);
          if (error.kind !== 'client_aborted')
            controller.enqueue(encodeSseData(JSON.stringify(toErrorBody(error))));
          controller.close();
          finish(error.status);
        }
      },
      cancel() {
        started.cancel();
        void events.return(undefined);
        finish(499);
      },
    },
    { highWaterMark: 0 },
  );
}
