/**
 * @module bench/overhead/sampler-stall
 * How long one system sample blocks switchyard's event loop — every in-flight request waits that
 * long — for the sampler switchyard uses (`sampleThisMachine`: CPU counters, /proc/meminfo read
 * asynchronously, `nvidia-smi` run asynchronously) against systeminformation's own readers of the
 * same figures (`currentLoad`, `mem`, `graphics`), which spawn processes synchronously on Linux.
 *
 * Both run in this one process, alternating, so the comparison holds on a noisy machine. The stall of
 * a sample is the longest gap between two ticks of a 1 ms interval timer while the sample runs, minus
 * the 1 ms the timer waits anyway.
 *
 * `npx tsx bench/overhead/sampler-stall.ts [--samples 20]` (or `npm run bench -- sampler-stall`); target (a ratio within the run, as every
 * bench target here): switchyard's median stall is at most a quarter of systeminformation's.
 * The worst stalls are printed, not judged: on a shared machine they follow the neighbours (the row
 * with no work at all shows the timer's own jitter).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { currentLoad, graphics, mem } from 'systeminformation';
import { sampleThisMachine } from '../../src/profiler/system-sampler.js';
import type { BenchContext, BenchOutcome } from '../suite.js';

/** Runs `work` while a 1 ms timer ticks; answers the longest gap between ticks beyond the 1 ms, in ms. */
async function stallOf(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  // Let the timer start ticking before the work begins.
  await new Promise((resolve) => setTimeout(resolve, 5));
  await work();
  await new Promise((resolve) => setTimeout(resolve, 5));
  clearInterval(timer);
  return Math.max(0, worst);
}

function summary(values: number[]): { median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
}

export async function run(context: BenchContext): Promise<BenchOutcome> {
  const index = context.args.indexOf('--samples');
  const samples = index === -1 ? 20 : Number(context.args[index + 1]);
  const switchyardSample = sampleThisMachine();
  const systeminformationSample = () => Promise.all([currentLoad(), mem(), graphics()]);
  const stalls = { nothing: [] as number[], switchyard: [] as number[], systeminformation: [] as number[] };
  // One of each first, unmeasured: module loading and first-call caches are not what a running proxy pays.
  await switchyardSample();
  await systeminformationSample();
  for (let i = 0; i < samples; i++) {
    // The timer's own jitter on this machine, with no work at all: the floor of what can be measured.
    stalls.nothing.push(await stallOf(async () => undefined));
    stalls.switchyard.push(await stallOf(switchyardSample));
    stalls.systeminformation.push(await stallOf(systeminformationSample));
  }
  const nothing = summary(stalls.nothing);
  const ours = summary(stalls.switchyard);
  const theirs = summary(stalls.systeminformation);
  const row = (label: string, { median, max }: { median: number; max: number }) =>
    console.log(`| ${label} | ${median.toFixed(2)} | ${max.toFixed(2)} |`);
  console.log(
    `event-loop stall per system sample, ${samples} samples each, node ${process.version}, ${process.platform}`,
  );
  console.log('| sampler | median stall ms | worst stall ms |');
  console.log('| --- | --- | --- |');
  row("no work (the timer's own jitter)", nothing);
  row('switchyard (sampleThisMachine)', ours);
  row('systeminformation currentLoad + mem + graphics', theirs);
  const medianRatio = ours.median / Math.max(theirs.median, Number.EPSILON);
  const worstRatio = ours.max / Math.max(theirs.max, Number.EPSILON);
  const passed = medianRatio <= 0.25;
  console.log(
    `${passed ? 'PASS' : 'FAIL'}  median stall per sample ${medianRatio.toFixed(2)}× systeminformation's (target ≤ 0.25×); worst ${worstRatio.toFixed(2)}×`,
  );
  mkdirSync(context.outDir, { recursive: true });
  const resultPath = join(context.outDir, 'sampler-stall.json');
  writeFileSync(
    resultPath,
    `${JSON.stringify({ date: new Date().toISOString(), samples, stalls, medianRatio, worstRatio, passed }, null, 2)}\n`,
  );
  return { name: 'sampler-stall', passed, resultPath };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outcome = await run({ args: process.argv.slice(2), outDir: resolve('bench/out') });
  process.exitCode = outcome.passed ? 0 : 1;
}
