/**
 * @module bench/run
 * The bench suite's entry point (`npm run bench`, or `npm run bench -- overhead --quick`). Leading
 * names pick benches (default: all); the flags after them are passed to every bench. Exits 1 when a bench
 * crashes, and with `--strict` also when a target is missed.
 */
import { resolve } from 'node:path';
import type { BenchModule, BenchOutcome } from './suite.js';

/** Every bench, in the order they run. Adding one is adding one line here. */
const benches: Record<string, () => Promise<BenchModule>> = {
  overhead: () => import('./overhead/run.js'),
  'sampler-stall': () => import('./overhead/sampler-stall.js'),
  'cloud-overhead': () => import('./cloud-overhead/run.js'),
  decide: () => import('./routing/decide-bench.js'),
  routing: () => import('./routing/run.js'),
};

const args = process.argv.slice(2);
// Bench names come first, flags after: `overhead --quick --requests-c1 500`.
const firstFlag = args.findIndex((arg) => arg.startsWith('-'));
const names = firstFlag === -1 ? args : args.slice(0, firstFlag);
const unknown = names.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
const selected = names.length > 0 ? names : Object.keys(benches);
const flags = firstFlag === -1 ? [] : args.slice(firstFlag);
const strict = flags.includes('--strict');
const outDir = resolve('bench/out');

const outcomes: BenchOutcome[] = [];
let crashed = false;
for (const name of selected) {
  try {
    const bench = await benches[name]!();
    outcomes.push(await bench.run({ args: flags, outDir }));
  } catch (error) {
    crashed = true;
    console.error(
      `bench ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }
}

console.log('');
for (const outcome of outcomes) {
  console.log(
    `${outcome.passed ? 'PASS' : 'FAIL'}  ${outcome.name}${outcome.resultPath ? `  (${outcome.resultPath})` : ''}`,
  );
}
process.exit(crashed || (strict && outcomes.some((outcome) => !outcome.passed)) ? 1 : 0);
