/**
 * @module app
 * `createApp(deps)`: the Hono app with every dependency injected. Request ids, the one error handler and
 * the not-found answer live here; each endpoint group is its own route file.
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from './app-env.js';
import { asGatewayError, GatewayError, toErrorBody } from './errors.js';
import { requestHeader } from './http/request-header.js';
import { chooseRequestId } from './http/request-id.js';
import { createChatRoutes } from './routes/chat-completions.js';
import { createHealthRoutes } from './routes/health.js';
import { createMetricsRoutes } from './routes/metrics.js';
import { createModelsRoutes } from './routes/models.js';
import { createRouteExplainRoutes } from './routes/route-explain.js';

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const requestId = chooseRequestId(requestHeader(c, 'x-request-id'), deps.random);
    c.set('requestId', requestId);
    c.set('receivedAt', deps.clock.monotonic());
    await next();
    // The chat route puts the header on the responses it builds itself (`requestIdSent`), so they are left
    // alone: reading `c.res.headers` would turn their plain header record into a web Headers object, per
    // request. For the same reason it is not prepared with `c.header()` before `next()`: that builds a web
    // Headers for every request, the chat route's included. Every other response (the other endpoints,
    // errors) gets it here; except a response the route already wrote to the socket itself (a stream,
    // x-hono-already-sent), where a new header would make Hono rebuild the response and the server write
    // its headers twice.
    if (c.get('requestIdSent')) return;
    const headers = c.res.headers;
    if (!headers.has('x-request-id') && !headers.has('x-hono-already-sent'))
      c.header('x-request-id', requestId);
  });

  app.route('/', createChatRoutes(deps));
  app.route('/', createModelsRoutes(deps));
  app.route('/', createHealthRoutes(deps));
  app.route('/', createMetricsRoutes(deps));
  app.route('/', createRouteExplainRoutes(deps));

  app.notFound((c) => {
    const error = new GatewayError(
      'invalid_request',
      `Unknown endpoint ${c.req.method} ${c.req.path}. switchyard serves POST /v1/chat/completions, GET /v1/models, POST /v1/route/explain, GET /health and GET /metrics; set your client's base URL to http://<host>:<port>/v1.`,
      { status: 404, code: 'unknown_url' },
    );
    return c.json(toErrorBody(error), 404);
  });

  app.onError((thrown, c) => {
    const error = asGatewayError(thrown);
    if (error.kind === 'internal') {
      deps.log('error', 'unhandled error', {
        requestId: c.get('requestId'),
        error: thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown),
      });
    }
    if (error.retryAfterSeconds !== undefined)
      c.header('retry-after', String(Math.ceil(error.retryAfterSeconds)));
    return c.json(toErrorBody(error), error.status as 400);
  });

  return app;
}
