/**
 * @module bench/overhead/proxy-main
 * The command line of the benchmark's reference proxies (`passthrough-proxy.ts`, `translating-proxy.ts`):
 * `--upstream <url> [--host 127.0.0.1] [--port 0]`, prints the proxy's URL, and exits on SIGINT/SIGTERM
 * or, when spawned by the bench with an IPC channel, when its parent goes away.
 */
import type { Agent, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface ReferenceProxy {
  url: string;
  close(): Promise<void>;
}

export type StartReferenceProxy = (options: {
  upstream: string;
  host: string;
  port: number;
}) => Promise<ReferenceProxy>;

/**
 * Listens on `host:port` (keep-alive for a minute, as clients pool connections); closing also releases
 * the upstream connections (an `Agent`, or any pool with a `close`).
 */
export async function listenReferenceProxy(
  server: Server,
  upstream: Pick<Agent, 'destroy'> | { close(): void },
  options: { host?: string; port?: number },
): Promise<ReferenceProxy> {
  server.keepAliveTimeout = 60_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        if ('destroy' in upstream) upstream.destroy();
        else upstream.close();
      }),
  };
}

/** Whether the module at `moduleUrl` is the script node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}

export async function runReferenceProxy(script: string, start: StartReferenceProxy): Promise<void> {
  const { values } = parseArgs({
    options: {
      upstream: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
    },
  });
  if (values.upstream === undefined) {
    console.error(`usage: tsx ${script} --upstream http://127.0.0.1:11434 [--port 0]`);
    process.exit(2);
  }
  serveUntilStopped(await start({ upstream: values.upstream, host: values.host, port: Number(values.port) }));
}

/** Prints the proxy's URL (the bench reads it), and closes it on SIGINT/SIGTERM or when the parent goes. */
export function serveUntilStopped(proxy: ReferenceProxy): void {
  console.log(proxy.url);
  const stop = () => void proxy.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
}
