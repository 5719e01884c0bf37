/**
 * @module test/profiler/fixtures
 * Completion profiles for the db and profiler tests: a minimal one (required fields only) and a full
 * one (every field set), so round-trips cover both NULL and non-NULL columns.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompletionProfile, SystemSample } from '../../src/profiler/completion-profile.js';

/** Only the required fields: every optional column stays NULL. */
export function minimalProfile(overrides: Partial<CompletionProfile> = {}): CompletionProfile {
  return {
    requestId: 'req-minimal',
    attempt: 0,
    startedAt: 1_700_000_000_000,
    provider: 'ollama',
    model: 'qwen2.5-coder:7b',
    locality: 'local',
    streamed: false,
    outcome: 'ok',
    durationMs: 1234.5,
    promptChars: 400,
    estimatedPromptTokens: 100,
    messageCount: 2,
    toolCount: 0,
    imageCount: 0,
    ...overrides,
  };
}

/** Every field set, with values that exercise each column type (real, integer, boolean, text). */
export function fullProfile(overrides: Partial<CompletionProfile> = {}): CompletionProfile {
  return {
    ...minimalProfile(),
    requestId: 'req-full',
    attempt: 1,
    streamed: true,
    outcome: 'upstream_error',
    errorKind: 'overloaded',
    errorMessage: 'Ollama is busy',
    finishReason: 'stop',
    timeToFirstTokenMs: 87.25,
    durationMs: 2345.75,
    overheadMs: 0.625,
    promptTokens: 120,
    completionTokens: 64,
    cachedPromptTokens: 20,
    costDollars: 0.00125,
    loadDurationNs: 1_500_000_000,
    promptEvalCount: 100,
    promptEvalDurationNs: 250_000_000,
    evalCount: 64,
    evalDurationNs: 1_280_000_000,
    totalDurationNs: 3_100_000_000,
    doneReason: 'stop',
    prefillTokensPerSecond: 400,
    decodeTokensPerSecond: 50,
    coldStart: true,
    numCtx: 8192,
    decisionReason: 'local-fast-enough',
    complexity: 'simple',
    predictedTtftMs: 90.5,
    predictedTotalMs: 2400.5,
    escalatedFrom: 'ollama/llama3.2:3b',
    ...overrides,
  };
}

export function systemSample(overrides: Partial<SystemSample> = {}): SystemSample {
  return {
    sampledAt: 1_700_000_000_000,
    cpuLoadPercent: 42.5,
    memoryUsedBytes: 8 * 1024 ** 3,
    memoryTotalBytes: 32 * 1024 ** 3,
    ...overrides,
  };
}

export function temporaryDirectory(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-'));
}
