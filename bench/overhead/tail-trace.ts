/**
 * @module bench/overhead/tail-trace
 * A diagnostic for the tail of switchyard's latency at concurrency 1, not a benchmark with targets: it
 * starts the simulated Ollama and switchyard as the overhead bench does, sends sequential requests, and
 * prints the latency percentiles next to V8's collections during them (`--trace-gc-nvp` on switchyard):
 * how many scavenges and mark-compacts, their pauses, and what each scavenge promoted. Run it with
 * different `node` flags or configs to see what moves the p99.
 *
 * `npx tsx bench/overhead/tail-trace.ts [--requests 4000] [--stream] [--node-args=<flags>] [--config <yaml>]`
 */
import { mkdirSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { firstLine, freePort, spawnChild, stopAll, waitUntilAnswering } from './children.js';
import { startScriptNodeFlags } from './processes.js';
import { percentileOf } from './stats.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '4000' },
    stream: { type: 'boolean', default: false },
    'node-args': { type: 'string', default: '' },
    config: { type: 'string' },
  },
});

const outDir = join(tmpdir(), `switchyard-tail-trace-${process.pid}`);
mkdirSync(outDir, { recursive: true });

try {
  const simulator = spawnChild({
    name: 'ollama simulator',
    stderrLog: join(outDir, 'simulator.log'),
    args: ['--import', 'tsx', 'bench/overhead/simulator-process.ts', '--speed', '1000'],
    ipc: true,
  });
  const simulatorUrl = await firstLine(simulator);
  const port = await freePort();
  const switchyard = spawnChild({
    name: 'switchyard',
    stderrLog: join(outDir, 'switchyard-stderr.log'),
    args: [
      ...startScriptNodeFlags(process.cwd()),
      '--trace-gc-nvp',
      ...values['node-args'].split(/\s+/).filter(Boolean),
      'bin/switchyard.js',
      '--port',
      String(port),
      '--ollama-host',
      simulatorUrl,
      '--db',
      join(outDir, 'switchyard.db'),
    ],
    env: {
      SWITCHYARD_LOG_LEVEL: 'warn',
      SWITCHYARD_CONFIG: values.config,
      ANTHROPIC_API_KEY: undefined,
      GEMINI_API_KEY: undefined,
      GOOGLE_API_KEY: undefined,
    },
  });
  // The GC trace comes on stdout; read all of it (an unread pipe would stall the server).
  const trace: string[] = [];
  switchyard.process.stdout?.setEncoding('utf8');
  switchyard.process.stdout?.on('data', (text: string) => trace.push(text));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(`${url}/health`, switchyard);

  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({
    model: 'ollama/qwen2.5-coder:7b',
    messages: [{ role: 'user', content: 'Reverse a linked list. [sim:tokens=8]' }],
    stream: values.stream,
  });
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const sent = request(
        `${url}/v1/chat/completions`,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(performance.now() - started));
        },
      );
      sent.on('error', reject);
      sent.end(body);
    });
  for (let warm = 0; warm < 2000; warm++) await once();
  const traceBefore = trace.length;
  const latencies: number[] = [];
  const count = Number(values.requests);
  for (let index = 0; index < count; index++) latencies.push(await once());
  agent.destroy();

  const lines = trace.slice(traceBefore).join('').split('\n');
  const field = (line: string, name: string) => Number(new RegExp(`\\b${name}=([0-9.]+)`).exec(line)?.[1]);
  const scavenges = lines.filter((line) => /\bgc=s\b/.test(line));
  const markCompacts = lines.filter((line) => /\bgc=mc\b/.test(line));
  const pauses = scavenges.map((line) => field(line, 'pause')).filter(Number.isFinite);
  const promoted = scavenges.map((line) => field(line, 'promoted')).filter(Number.isFinite);
  const ms = (value: number) => value.toFixed(3);
  console.log(
    `${count} sequential ${values.stream ? 'streamed' : 'whole'} requests: p50 ${ms(percentileOf(latencies, 0.5))} ms, ` +
      `p90 ${ms(percentileOf(latencies, 0.9))}, p99 ${ms(percentileOf(latencies, 0.99))}, ` +
      `p99.9 ${ms(percentileOf(latencies, 0.999))} (round trip through switchyard, not added latency)`,
  );
  console.log(
    `scavenges: ${scavenges.length} (one per ${(count / Math.max(1, scavenges.length)).toFixed(0)} requests), ` +
      `pause p50 ${ms(percentileOf(pauses, 0.5))} ms, p90 ${ms(percentileOf(pauses, 0.9))}, max ${ms(Math.max(0, ...pauses))}; ` +
      `promoted per scavenge ${(promoted.reduce((sum, value) => sum + value, 0) / Math.max(1, promoted.length) / 1024).toFixed(0)} KB`,
  );
  console.log(`mark-compacts: ${markCompacts.length}`);
} finally {
  await stopAll();
  rmSync(outDir, { recursive: true, force: true });
}
