/**
 * @module db/schema
 * The SQLite tables, as drizzle `sqlite-core` definitions: the one source of truth from which
 * `drizzle-kit generate` writes the migrations in `drizzle/`. Column names are snake_case; the
 * TypeScript property names match the fields of `CompletionProfile` and `SystemSample` one to one, so
 * the repository can map rows without a hand-written list of every field.
 */
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** One row per machine sample (CPU, memory, GPU), taken on an interval by the system sampler. */
export const systemSamples = sqliteTable(
  'system_samples',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sampledAt: integer('sampled_at').notNull(),
    cpuLoadPercent: real('cpu_load_percent').notNull(),
    memoryUsedBytes: integer('memory_used_bytes').notNull(),
    memoryTotalBytes: integer('memory_total_bytes').notNull(),
    gpuUtilizationPercent: real('gpu_utilization_percent'),
    vramUsedBytes: integer('vram_used_bytes'),
    vramTotalBytes: integer('vram_total_bytes'),
  },
  (table) => [index('system_samples_sampled_at_idx').on(table.sampledAt)],
);

/**
 * One row per upstream attempt (a `CompletionProfile`). Durations measured by switchyard are `real`
 * (they come from `performance.now()`); engine timings are integer nanoseconds as Ollama reports them.
 */
export const completions = sqliteTable(
  'completions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    requestId: text('request_id').notNull(),
    attempt: integer('attempt').notNull(),
    startedAt: integer('started_at').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    locality: text('locality', { enum: ['local', 'cloud'] }).notNull(),
    streamed: integer('streamed', { mode: 'boolean' }).notNull(),
    outcome: text('outcome', {
      enum: ['ok', 'upstream_error', 'client_aborted', 'deadline_exceeded'],
    }).notNull(),
    errorKind: text('error_kind'),
    errorMessage: text('error_message'),
    finishReason: text('finish_reason'),

    timeToFirstTokenMs: real('time_to_first_token_ms'),
    durationMs: real('duration_ms').notNull(),
    overheadMs: real('overhead_ms'),

    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    cachedPromptTokens: integer('cached_prompt_tokens'),
    costDollars: real('cost_dollars'),

    loadDurationNs: integer('load_duration_ns'),
    promptEvalCount: integer('prompt_eval_count'),
    promptEvalDurationNs: integer('prompt_eval_duration_ns'),
    evalCount: integer('eval_count'),
    evalDurationNs: integer('eval_duration_ns'),
    totalDurationNs: integer('total_duration_ns'),
    doneReason: text('done_reason'),
    prefillTokensPerSecond: real('prefill_tokens_per_second'),
    decodeTokensPerSecond: real('decode_tokens_per_second'),
    coldStart: integer('cold_start', { mode: 'boolean' }),
    numCtx: integer('num_ctx'),

    promptChars: integer('prompt_chars').notNull(),
    estimatedPromptTokens: integer('estimated_prompt_tokens').notNull(),
    estimatedCachedTokens: integer('estimated_cached_tokens'),
    messageCount: integer('message_count').notNull(),
    toolCount: integer('tool_count').notNull(),
    imageCount: integer('image_count').notNull(),

    decisionReason: text('decision_reason'),
    complexity: text('complexity'),
    predictedTtftMs: real('predicted_ttft_ms'),
    predictedTotalMs: real('predicted_total_ms'),
    escalatedFrom: text('escalated_from'),

    /** The latest system sample when the attempt was recorded: the machine's state it ran under. */
    systemSampleId: integer('system_sample_id').references(() => systemSamples.id, { onDelete: 'set null' }),
  },
  (table) => [
    // Serves the per-model "most recent N" query that rebuilds statistics at start-up.
    index('completions_provider_model_started_at_idx').on(table.provider, table.model, table.startedAt),
    index('completions_request_id_idx').on(table.requestId),
  ],
);

/**
 * What the routing engine has learned about each model per complexity class: decayed success and
 * failure weights (hence `real`), upserted as they change.
 */
export const learnedOutcomes = sqliteTable(
  'learned_outcomes',
  {
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    complexity: text('complexity').notNull(),
    successes: real('successes').notNull(),
    failures: real('failures').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.provider, table.model, table.complexity] })],
);
