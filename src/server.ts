/**
 * @module server
 * The composition root: flags → config → switchyard → listen. On SIGINT/SIGTERM it stops accepting,
 * lets in-flight requests finish (bounded by `server.shutdown_grace_ms`), flushes queued profile rows
 * and closes the database.
 */
import { serve } from '@hono/node-server';
import { parseCliArgs, usage } from './cli-args.js';
import { loadConfig } from './config/load-config.js';
import { createLogger } from './log.js';
import { createSwitchyard } from './switchyard.js';

const log = createLogger((process.env.SWITCHYARD_LOG_LEVEL as 'info' | undefined) ?? 'info');

async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(usage);
    return;
  }
  const config = loadConfig({
    ...(args.config !== undefined ? { path: args.config } : {}),
    env: process.env,
    overrides: {
      ...(args.host !== undefined ? { host: args.host } : {}),
      ...(args.port !== undefined ? { port: args.port } : {}),
      ...(args.database !== undefined ? { database: args.database } : {}),
      ...(args.ollamaHost !== undefined ? { ollamaHost: args.ollamaHost } : {}),
    },
  });
  const switchyard = createSwitchyard({ config, env: process.env, log });
  await switchyard.start();

  const server = serve(
    { fetch: switchyard.app.fetch, hostname: config.server.host, port: config.server.port },
    (info) => {
      log('info', `switchyard listening on http://${config.server.host}:${info.port}/v1`, {
        ollama: config.ollama.host,
        database: config.database.path,
      });
    },
  );
  server.on('error', (error) => {
    log(
      'error',
      `cannot listen on ${config.server.host}:${config.server.port}: ${error.message} — pick another --port or stop the other process.`,
    );
    process.exit(1);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `${signal} received: finishing in-flight requests`);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if ('closeIdleConnections' in server) server.closeIdleConnections();
    const grace = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), config.server.shutdown_grace_ms).unref(),
    );
    if ((await Promise.race([closed, grace])) === 'timeout') {
      log('warn', 'grace period over: closing remaining connections');
      if ('closeAllConnections' in server) server.closeAllConnections();
    }
    await switchyard.close();
    log('info', 'stopped; profile rows flushed and database closed');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  log('error', error instanceof Error ? error.message : String(error));
  process.exit(1);
});
