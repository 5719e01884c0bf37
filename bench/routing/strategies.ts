/**
 * @module bench/routing/strategies
 * The five ways of choosing a model that the benchmark compares. Each picks the `model` field of the
 * request it sends through switchyard: `auto` lets switchyard decide; the others name a model, so
 * switchyard only forwards (the same proxy path, the same profiling, the same cost accounting).
 */
import { cloudModel, localModel } from './environment.js';
import { Oracle, type OracleSettings, type TruePrediction } from './oracle.js';
import type { WorkloadRequest } from './workload.js';

export const strategyNames = [
  'switchyard',
  'always-local',
  'always-cloud',
  'threshold',
  'oracle',
  'length-blind-oracle',
] as const;
export type StrategyName = (typeof strategyNames)[number];

export interface Strategy {
  name: StrategyName;
  /** The model id to send; `now` is performance.now(). */
  choose(request: WorkloadRequest, now: number, deadlines: { ttftMs: number; totalMs: number }): string;
  onSlowdown?(factor: number, now: number): void;
  finished?(request: WorkloadRequest, now: number, model: string): void;
  /**
   * The oracle's true local times (real ms) per request index, for the report (for the length-blind
   * oracle, its plan with the lengths it assumed, not the truth).
   */
  truth?: Map<number, TruePrediction>;
}

export interface StrategySettings {
  /** Static threshold: local below this many estimated tokens (characters / 4). */
  thresholdTokens: number;
  oracle: OracleSettings;
  /** The length-blind oracle decides on this quantile of each client's answer lengths. */
  blindQuantile: number;
}

const local = `ollama/${localModel}`;
const cloud = `anthropic/${cloudModel}`;

export function createStrategy(name: StrategyName, settings: StrategySettings): Strategy {
  switch (name) {
    case 'switchyard':
      return { name, choose: () => 'auto' };
    case 'always-local':
      return { name, choose: () => local };
    case 'always-cloud':
      return { name, choose: () => cloud };
    case 'threshold':
      return {
        name,
        // What a client can do without switchyard: count characters, four to a token.
        choose: (request) => (request.characters / 4 < settings.thresholdTokens ? local : cloud),
      };
    case 'oracle':
    case 'length-blind-oracle': {
      const oracle = new Oracle(
        name === 'oracle' ? settings.oracle : { ...settings.oracle, lengthQuantile: settings.blindQuantile },
      );
      const truths = new Map<number, TruePrediction>();
      return {
        name,
        truth: truths,
        choose(request, now, deadlines) {
          const truth = oracle.predict(request, now);
          truths.set(request.index, truth);
          if (truth.ttftMs <= deadlines.ttftMs && truth.totalMs <= deadlines.totalMs) {
            oracle.commit(request, now);
            return local;
          }
          return cloud;
        },
        onSlowdown: (factor, now) => oracle.setSlowdown(factor, now),
        finished(request, now, model) {
          if (model === local) oracle.finished(request, now);
        },
      };
    }
  }
}
