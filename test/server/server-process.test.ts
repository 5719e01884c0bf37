/**
 * @module test/server/server-process
 * The real `switchyard` command in its own process (`bin/switchyard.js`, which runs the bundle in
 * `dist/`, building it first when it is missing or stale): it starts from flags and environment, serves, and
 * on SIGTERM lets an in-flight streamed request finish, writes its profile row and exits 0. Also: a
 * bad config stops start-up with the field path.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/overhead/children.js';
import { type OllamaSimulator, startOllamaSimulator } from '../../bench/upstreams/ollama/index.js';
import { openDatabase } from '../../src/db/client.js';
import { createProfileRepository } from '../../src/db/profile-repository.js';

let ollama: OllamaSimulator;
const directory = mkdtempSync(join(tmpdir(), 'switchyard-server-'));

function startSwitchyard(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['bin/switchyard.js', ...args], {
    env: { ...process.env, ...env, SWITCHYARD_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  return { child, output: () => output };
}

async function waitFor(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

beforeAll(async () => {
  ollama = await startOllamaSimulator({ port: 0, speedFactor: 5, seed: 3 });
});

afterAll(async () => {
  await ollama?.close();
});

describe('the switchyard process', () => {
  it('on SIGTERM finishes the in-flight stream, writes its profile row and exits 0', async () => {
    const port = await freePort();
    const database = join(directory, 'process.db');
    const { child, output } = startSwitchyard(['--port', String(port), '--db', database], {
      OLLAMA_HOST: ollama.url,
    });
    await waitFor(() => output().includes('listening'));

    const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'in-flight-at-sigterm' },
      body: JSON.stringify({
        model: 'ollama/llama3.2:3b',
        stream: true,
        messages: [{ role: 'user', content: 'a long answer [sim:tokens=150]' }],
      }),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    await reader.read(); // the stream has started
    child.kill('SIGTERM');

    let text = '';
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(await exitOf(child)).toBe(0);
    expect(output()).toContain('database closed');

    const reopened = openDatabase(database);
    try {
      const rows = createProfileRepository(reopened).listCompletions({ requestId: 'in-flight-at-sigterm' });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ outcome: 'ok', evalCount: 150, streamed: true });
    } finally {
      reopened.close();
    }
  });

  it('refuses to start on a bad config, naming the field', async () => {
    const path = join(directory, 'bad.yaml');
    writeFileSync(path, 'routing:\n  ttft_deadline_ms: -5\n');
    const { child, output } = startSwitchyard(['--config', path, '--port', String(await freePort())], {});
    expect(await exitOf(child)).toBe(1);
    expect(output()).toContain('routing.ttft_deadline_ms');
  });
});
