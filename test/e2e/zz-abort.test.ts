import { it } from 'vitest';
import { startHarness } from '../support/harness.js';
it('abort timing with gc', async () => {
  let log: string[] = [];
  const t0 = () => performance.now().toFixed(0);
  const tracing: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/api/chat')) {
      log.push(`fetch ${t0()} signal=${!!init?.signal}`);
      init?.signal?.addEventListener('abort', () => log.push(`fetch-signal-abort ${t0()}`));
    }
    const response = await fetch(input, init);
    if (!url.endsWith('/api/chat') || !response.body) return response;
    const body = response.body.pipeThrough(new TransformStream({ transform(c, ctl) { ctl.enqueue(c); } , flush() { log.push(`body-end ${t0()}`); } }));
    const reader = body.getReader();
    const out = new ReadableStream({ async pull(ctl) { try { const r = await reader.read(); if (r.done) ctl.close(); else ctl.enqueue(r.value); } catch (e) { log.push(`body-error ${t0()} ${String(e)}`); ctl.error(e); } }, cancel(reason) { log.push(`body-cancel ${t0()} ${String(reason)}`); return reader.cancel(reason); } });
    return new Response(out, response);
  };
  const harness = await startHarness({ fetch: tracing });
  const model = 'ollama/llama3.2:3b';
  await harness.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'warm [sim:tokens=1]' }] });
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    log = [];
    const before = harness.ollama.abortedRequests;
    const controller = new AbortController();
    const stream = await harness.openai.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: `go ${i} [sim:tokens=3000]` }] }, { signal: controller.signal });
    let first = true;
    for await (const chunk of stream) { if (first) { first = false; gc?.(); await new Promise((r) => setTimeout(r, 5)); gc?.(); } if (chunk.choices[0]?.delta.content) { log.push(`client-abort ${t0()}`); controller.abort(); } }
    const t = performance.now();
    while (harness.ollama.abortedRequests === before && performance.now() - t < 1500) await new Promise((r) => setTimeout(r, 2));
    log.push(`sim ${harness.ollama.abortedRequests > before ? t0() : 'never'}`);
    console.log('ABT', log.join(' | '));
  }
  await harness.close();
}, 30000);
