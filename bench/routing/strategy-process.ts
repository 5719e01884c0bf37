/**
 * @module bench/routing/strategy-process
 * One strategy's run in its own process, so that strategies can run side by side without sharing an
 * event loop (one strategy's burst of streams must not delay another's timers) and every run starts
 * from a fresh process: nothing of a previous run's simulators, database or caches survives. The
 * parent sends the settings over IPC and gets progress lines and the result back; the process exits
 * when it is done or when the parent goes away.
 */
import { setMaxListeners } from 'node:events';
import { type RunSettings, runStrategy, type StrategyRun, warmUp } from './run-strategy.js';
import type { StrategyName } from './strategies.js';
import { generateWorkload, type WorkloadOptions } from './workload.js';

export interface StrategyJob {
  name: StrategyName;
  workload: WorkloadOptions;
  settings: RunSettings;
}

export type StrategyMessage =
  | { type: 'progress'; line: string }
  | { type: 'result'; run: StrategyRun }
  | { type: 'error'; message: string };

function send(message: StrategyMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

// The simulators add one abort listener per request to a shared signal; dozens can be open at once.
setMaxListeners(1000);
process.on('disconnect', () => process.exit(1));
process.once('message', (job: StrategyJob) => {
  void (async () => {
    try {
      const workload = generateWorkload(job.workload);
      await warmUp(workload, job.settings);
      const run = await runStrategy(job.name, workload, job.settings, (line) => {
        void send({ type: 'progress', line });
      });
      await send({ type: 'result', run });
      process.exit(0);
    } catch (error) {
      await send({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      process.exit(1);
    }
  })();
});
