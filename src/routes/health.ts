/**
 * @module routes/health
 * `GET /health`: liveness (the process answers) and each upstream's readiness, with a sentence saying
 * how to fix a provider that is down or disabled. Status 200 while switchyard itself works, even if an
 * upstream is down: a load balancer should not restart the proxy because Ollama is stopped.
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../app-env.js';
import type { ProviderHealth } from '../providers/provider.js';

/** A provider that does not answer its health check within this is reported down. */
const healthTimeoutMs = 2000;

export function createHealthRoutes(deps: AppDeps) {
  const routes = new Hono<AppEnv>();

  routes.get('/health', async (c) => {
    const providers: Record<string, ProviderHealth & { locality: string }> = {};
    await Promise.all(
      deps.catalog.providers.map(async (provider) => {
        const signal = AbortSignal.timeout(healthTimeoutMs);
        let health: ProviderHealth;
        try {
          health = await Promise.race([
            provider.health(signal),
            new Promise<ProviderHealth>((resolve) =>
              signal.addEventListener('abort', () =>
                resolve({ status: 'down', message: `No answer within ${healthTimeoutMs} ms.` }),
              ),
            ),
          ]);
        } catch (error) {
          health = { status: 'down', message: error instanceof Error ? error.message : String(error) };
        }
        providers[provider.id] = { locality: provider.locality, ...health };
      }),
    );
    const anyReady = Object.values(providers).some((health) => health.status === 'ready');
    return c.json({
      status: anyReady ? 'ok' : 'degraded',
      providers,
      ...(deps.healthDetails ? deps.healthDetails() : {}),
    });
  });

  return routes;
}
