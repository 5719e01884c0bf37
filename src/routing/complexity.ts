/**
 * @module routing/complexity
 * A first, heuristic task-complexity classifier. It looks at what makes a coding request hard for a
 * small local model: a lot of code, several files, error traces, and words that ask for design or
 * multi-step reasoning. It sits behind the `ComplexityClassifier` interface so that a learned
 * classifier can replace it without touching `decide()`.
 */
import type { ComplexityClass } from '../config/schema.js';

export interface ComplexitySignals {
  /** Characters inside fenced code blocks. */
  codeCharacters: number;
  /** Distinct file paths mentioned. */
  fileCount: number;
  /** Stack-trace or compiler-error lines. */
  errorTraceLines: number;
  /** Words that ask for design, architecture or multi-step reasoning. */
  reasoningWords: number;
  /** Characters of the latest user message (the task itself). */
  taskCharacters: number;
}

export interface ComplexityClassifier {
  classify(text: string, latestUserText: string): { complexity: ComplexityClass; signals: ComplexitySignals };
}

const fencePattern = /```[^\n]*\n([\s\S]*?)```/g;
const filePattern =
  /(?:^|[\s"'`(])((?:[\w.-]+\/)*[\w-]+\.(?:ts|tsx|js|jsx|py|rs|go|java|kt|c|cc|cpp|h|hpp|cs|rb|php|swift|scala|sql|yaml|yml|json|toml|md|sh))\b/g;
const tracePattern =
  /^\s*(?:at [\w$.<>]+ \(|File "[^"]+", line \d+|Traceback \(most recent call last\)|\w*Error:|error(?:\[E\d+\])?:|panic:|Exception in thread)/gm;
const reasoningPattern =
  /\b(?:architect(?:ure)?|design|refactor|migrate|trade-?offs?|step[- ]by[- ]step|plan|prove|optimi[sz]e|concurren(?:t|cy)|race condition|deadlock|security|threat model|scal(?:e|ability)|why does|root cause|across (?:the )?(?:codebase|files|modules))\b/gi;

function countMatches(pattern: RegExp, text: string): number {
  pattern.lastIndex = 0;
  let count = 0;
  while (pattern.exec(text) !== null) count += 1;
  return count;
}

export const heuristicComplexityClassifier: ComplexityClassifier = {
  classify(text, latestUserText) {
    let codeCharacters = 0;
    fencePattern.lastIndex = 0;
    for (let match = fencePattern.exec(text); match !== null; match = fencePattern.exec(text)) {
      codeCharacters += match[1]?.length ?? 0;
    }
    const files = new Set<string>();
    filePattern.lastIndex = 0;
    for (let match = filePattern.exec(text); match !== null; match = filePattern.exec(text)) {
      if (match[1]) files.add(match[1]);
    }
    const signals: ComplexitySignals = {
      codeCharacters,
      fileCount: files.size,
      errorTraceLines: countMatches(tracePattern, text),
      reasoningWords: countMatches(reasoningPattern, latestUserText),
      taskCharacters: latestUserText.length,
    };
    return { complexity: classOf(signals), signals };
  },
};

/** Points per signal; thresholds chosen so a one-file fix is simple and a multi-file design task complex. */
function classOf(signals: ComplexitySignals): ComplexityClass {
  let score = 0;
  score += Math.min(3, signals.codeCharacters / 4000);
  score += signals.fileCount >= 5 ? 2 : signals.fileCount >= 2 ? 1 : 0;
  score += signals.errorTraceLines >= 3 ? 1 : 0;
  score += Math.min(3, signals.reasoningWords * 1.5);
  score += signals.taskCharacters > 2000 ? 1 : 0;
  if (score >= 4) return 'complex';
  if (score >= 1.5) return 'moderate';
  return 'simple';
}
