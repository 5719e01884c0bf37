/**
 * @module routes/models
 * `GET /v1/models`: what a client can put in `model`, in the OpenAI list shape: `auto`, the aliases,
 * every discovered local model and the configured cloud models of providers that have a key.
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../app-env.js';
import { autoModelId } from '../gateway/model-catalog.js';

interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export function createModelsRoutes(deps: AppDeps) {
  const routes = new Hono<AppEnv>();

  routes.get('/v1/models', async (c) => {
    const created = Math.floor(deps.clock.now() / 1000);
    const data: ModelObject[] = [{ id: autoModelId, object: 'model', created, owned_by: 'switchyard' }];
    for (const alias of deps.catalog.aliasNames()) {
      data.push({ id: alias, object: 'model', created, owned_by: 'switchyard' });
    }
    for (const entry of await deps.catalog.list(c.req.raw.signal)) {
      data.push({ id: entry.id, object: 'model', created, owned_by: entry.provider });
    }
    return c.json({ object: 'list', data });
  });

  routes.get('/v1/models/:id{.+}', async (c) => {
    const id = c.req.param('id');
    const created = Math.floor(deps.clock.now() / 1000);
    const resolved = await deps.catalog.resolve(id, c.req.raw.signal);
    const ownedBy = resolved.kind === 'auto' ? 'switchyard' : resolved.provider.id;
    return c.json({ id, object: 'model', created, owned_by: ownedBy });
  });

  return routes;
}
