/**
 * @module bench/overhead/passthrough-proxy
 * The floor of the overhead benchmark: the least a Node HTTP proxy can do. It pipes the request body to
 * the upstream and the upstream's response back, parsing nothing, over a keep-alive connection pool.
 * Whatever switchyard adds beyond this is the cost of what it does (validation, translation, profiling),
 * not of being a Node process in the path.
 *
 * `tsx bench/overhead/passthrough-proxy.ts --upstream http://127.0.0.1:11434 [--port 0]`; prints its URL.
 * With an IPC channel (spawned by the bench) it exits when its parent goes away.
 */
import { Agent, createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** Headers that describe one connection, not the message: a proxy must not forward them. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name)) result[name] = value;
  }
  return result;
}

export interface PassthroughProxy {
  url: string;
  close(): Promise<void>;
}

export async function startPassthroughProxy(options: {
  upstream: string;
  host?: string;
  port?: number;
}): Promise<PassthroughProxy> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const upstreamHost = upstream.host;

  const server = createServer((incoming, outgoing) => {
    const headers = forwardable(incoming.headers);
    headers.host = upstreamHost;
    const proxied = request(
      {
        agent,
        hostname: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
        answer.pipe(outgoing);
      },
    );
    proxied.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502).end();
      else outgoing.destroy();
    });
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) proxied.destroy();
    });
    incoming.pipe(proxied);
  });
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

if (isMain) {
  const { values } = parseArgs({
    options: {
      upstream: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
    },
  });
  if (values.upstream === undefined) {
    console.error(
      'usage: tsx bench/overhead/passthrough-proxy.ts --upstream http://127.0.0.1:11434 [--port 0]',
    );
    process.exit(2);
  }
  const proxy = await startPassthroughProxy({
    upstream: values.upstream,
    host: values.host,
    port: Number(values.port),
  });
  console.log(proxy.url);
  const stop = () => void proxy.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
}
