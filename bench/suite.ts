/**
 * @module bench/suite
 * What every bench module exports, so `bench/run.ts` can run any of them the same way: a `run()` that
 * does its own setup and teardown, prints its report, writes its JSON under `bench/out/` and says
 * whether its targets were met.
 */

export interface BenchContext {
  /** Command-line arguments meant for the benches (flags such as `--quick`); each bench reads its own. */
  args: string[];
  /** Directory for machine-readable results (`bench/out`, gitignored). */
  outDir: string;
}

export interface BenchOutcome {
  name: string;
  /** Every target met. */
  passed: boolean;
  /** Where the JSON result was written. */
  resultPath?: string;
}

export interface BenchModule {
  run(context: BenchContext): Promise<BenchOutcome>;
}
