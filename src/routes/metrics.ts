/**
 * @module routes/metrics
 * `GET /metrics`: the Prometheus text exposition of this app instance's registry.
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../app-env.js';

export function createMetricsRoutes(deps: AppDeps) {
  const routes = new Hono<AppEnv>();
  routes.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': deps.metrics.registry.contentType });
  });
  return routes;
}
