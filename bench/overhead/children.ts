/**
 * @module bench/overhead/children
 * The benchmark's child processes: started with `node` (TypeScript through tsx's loader), their first
 * stdout line read as their URL, and every one of them killed when the benchmark ends, fails or is
 * interrupted, so a crashed run leaves no servers behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Last lines of stderr, for error messages. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Child>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.process.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const child of running) child.process.kill('SIGKILL');
      process.exit(130);
    });
  }
}

export interface SpawnOptions {
  name: string;
  args: string[];
  env?: Record<string, string | undefined>;
  /** Give the child an IPC channel (our own scripts exit when it closes). */
  ipc?: boolean;
  /** Append the child's stderr to this file too. */
  stderrLog?: string;
}

export function spawnChild(options: SpawnOptions): Child {
  installExitHandlers();
  const child = spawn(process.execPath, options.args, {
    cwd: process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  const tail: string[] = [];
  child.stderr?.setEncoding('utf8');
  const log = options.stderrLog ? createWriteStream(options.stderrLog, { flags: 'a' }) : undefined;
  child.once('exit', () => log?.end());
  child.stderr?.on('data', (text: string) => {
    log?.write(text);
    tail.push(text);
    if (tail.length > 20) tail.shift();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle: Child = {
    name: options.name,
    pid: child.pid,
    process: child,
    stderrTail: () => tail.join('').slice(-2000),
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(handle);
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** Stops every child still running (also those a failed start-up left behind). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/** Waits for the first stdout line (our scripts print their URL there). */
export function firstLine(child: Child, timeoutMs = 20_000): Promise<string> {
  const stdout = child.process.stdout;
  if (!stdout) return Promise.reject(new Error(`${child.name} has no stdout`));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stdout });
    const timer = setTimeout(() => {
      lines.close();
      reject(new Error(`${child.name} printed nothing within ${timeoutMs} ms: ${child.stderrTail()}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${child.name} exited (${code}) before it was ready: ${child.stderrTail()}`));
    };
    child.process.once('exit', onExit);
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.process.off('exit', onExit);
      // Keep draining stdout so the child never blocks on a full pipe.
      lines.on('line', () => undefined);
      resolve(line.trim());
    });
  });
}

/** A port that was free a moment ago, for children that cannot report the one they got. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers (any status), or fails after `timeoutMs`. */
export async function waitUntilAnswering(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null) {
      throw new Error(`${child.name} exited (${child.process.exitCode}): ${child.stderrTail()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`${child.name} did not answer at ${url}: ${child.stderrTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
