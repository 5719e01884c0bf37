/**
 * @module routes/route-explain
 * `POST /v1/route/explain`: takes a chat completion body (and the same routing headers) and returns the
 * decision `auto` would make now — attempts, reason, sentence, predicted times, the request's features —
 * without calling any model. For understanding and tuning the policy.
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../app-env.js';
import { GatewayError } from '../errors.js';
import { readJsonBody } from '../http/read-json-body.js';
import { requestHeader } from '../http/request-header.js';
import { parseChatRequest } from '../openai/chat-request.js';

export function createRouteExplainRoutes(deps: AppDeps) {
  const routes = new Hono<AppEnv>();

  routes.post('/v1/route/explain', async (c) => {
    const request = parseChatRequest(
      await readJsonBody(c.req.raw, deps.config.server.body_limit_bytes, requestHeader(c, 'content-length')),
    );
    const signal = c.req.raw.signal;
    const resolved = await deps.catalog.resolve(request.model, signal);
    if (resolved.kind !== 'auto') {
      return c.json({
        routed: false,
        attempts: [
          { provider: resolved.provider.id, model: resolved.model, locality: resolved.provider.locality },
        ],
        reason: 'explicit',
        sentence: `The request names \`${resolved.provider.id}/${resolved.model}\`; use \`auto\` to let switchyard decide.`,
      });
    }
    if (!deps.explain) {
      throw new GatewayError('invalid_request', 'Routing is not enabled in this instance.', { status: 404 });
    }
    const explanation = await deps.explain({
      request,
      headers: c.req.raw.headers,
      resolved,
      catalog: deps.catalog,
      signal,
    });
    return c.json({ routed: true, ...explanation.decision, features: explanation.features });
  });

  return routes;
}
