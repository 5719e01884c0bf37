/**
 * @module config/schema
 * The configuration, as zod schemas with defaults: the one description of every setting. The YAML in
 * `config/default.yaml` mirrors it with comments. A bad value stops start-up with its field path.
 */
import { z } from 'zod';

const priceSchema = z.object({
  /** Dollars per million input (prompt) tokens. */
  input_per_million: z.number().nonnegative(),
  /** Dollars per million output tokens. */
  output_per_million: z.number().nonnegative(),
  /**
   * Dollars per million prompt tokens read from the provider's prompt cache. Unset: the provider's
   * published ratio to the input price (Anthropic 0.1×, Gemini 0.1×).
   */
  cache_read_per_million: z.number().nonnegative().optional(),
  /**
   * Dollars per million prompt tokens written to the provider's prompt cache. Unset: the provider's
   * published ratio (Anthropic's 5-minute cache 1.25×; Gemini's implicit cache charges no write premium).
   */
  cache_write_per_million: z.number().nonnegative().optional(),
});

const cloudModelSchema = z.object({
  name: z.string().min(1),
  context_length: z.number().int().positive().optional(),
  price: priceSchema.optional(),
});

const cloudProviderSchema = z.object({
  /** Overrides the SDK's base URL (the environment variable wins over this). */
  base_url: z.string().url().optional(),
  /** Models offered in /v1/models and to routing, in preference order. */
  models: z.array(cloudModelSchema).default([]),
  /** Output budget when the client gives none (Anthropic requires one). */
  default_max_tokens: z.number().int().positive().default(4096),
  /** Give up on an upstream call after this long. */
  timeout_ms: z.number().int().positive().default(600_000),
});

// Prices are list prices per million tokens at the time of writing; check anthropic.com/pricing and
// ai.google.dev/pricing. The lists are field defaults, not section defaults, so that a config setting
// anything else in a provider's section (`prompt_caching`, `base_url`) keeps them.
const defaultAnthropicModels = [
  {
    name: 'claude-sonnet-5-5',
    context_length: 200_000,
    price: { input_per_million: 3, output_per_million: 15 },
  },
  {
    name: 'claude-haiku-4-5',
    context_length: 200_000,
    price: { input_per_million: 1, output_per_million: 5 },
  },
];
const defaultGeminiModels = [
  {
    name: 'gemini-2.5-flash',
    context_length: 1_048_576,
    price: { input_per_million: 0.3, output_per_million: 2.5 },
  },
  {
    name: 'gemini-2.5-pro',
    context_length: 1_048_576,
    price: { input_per_million: 1.25, output_per_million: 10 },
  },
];

const geminiProviderSchema = cloudProviderSchema.extend({
  models: z.array(cloudModelSchema).default(defaultGeminiModels),
});

const anthropicProviderSchema = cloudProviderSchema.extend({
  models: z.array(cloudModelSchema).default(defaultAnthropicModels),
  /**
   * Mark the stable prefix of each request (tools, system prompt, conversation so far) with
   * `cache_control` breakpoints, so that Anthropic bills repeated prefixes at a tenth of the input price
   * and answers sooner. On by default: coding tools resend the same long prompt every turn.
   */
  prompt_caching: z.boolean().default(true),
});

const complexityClassSchema = z.enum(['simple', 'moderate', 'complex']);

/** Per-alias routing settings: an alias can point at `auto` with its own deadlines. */
const routedAliasSchema = z.object({
  model: z.string().min(1),
  ttft_deadline_ms: z.number().int().positive().optional(),
  total_deadline_ms: z.number().int().positive().optional(),
  local_only: z.boolean().optional(),
});

const routingSchema = z.object({
  /** Local candidates in preference order (`ollama/<name>` or bare names); empty = every discovered local model. */
  local_models: z.array(z.string()).default([]),
  /** Cloud candidates in order (`anthropic/<name>`…); empty = the configured models of providers with a key. */
  cloud_models: z.array(z.string()).default([]),
  /** Time-to-first-token deadline, ms, unless an alias or `x-switchyard-deadline-ms` says otherwise. */
  ttft_deadline_ms: z.number().int().positive().default(4000),
  /** Whole-answer deadline, ms. */
  total_deadline_ms: z.number().int().positive().default(60_000),
  /** Prompts above this many (estimated) tokens never go local. */
  max_local_prompt_tokens: z.number().int().positive().default(32_000),
  /** Complexity classes local models may take. */
  local_complexity: z.array(complexityClassSchema).default(['simple', 'moderate', 'complex']),
  /** Below this learned success rate for a complexity class, a local model is not chosen for it. */
  min_local_success_rate: z.number().min(0).max(1).default(0.6),
  /** Which predicted quantile must meet the deadline: 0.5 = the median, 0.9 = cautious. */
  deadline_quantile: z.number().min(0.5).max(0.99).default(0.75),
  /** Share of requests sent to an uncertain local model to keep learning about it. */
  explore_rate: z.number().min(0).max(0.5).default(0.03),
  /** Never use the cloud. */
  local_only: z.boolean().default(false),
  privacy: z
    .object({
      /** Regular expressions; a request whose text matches one stays local whatever the cost. */
      patterns: z.array(z.string()).default([]),
      /** A request carrying this header (any value but "0"/"false") stays local. */
      header: z.string().default('x-switchyard-private'),
    })
    .prefault({}),
  /** Daily cloud budget in dollars (UTC day); once spent, requests stay local and say so. Unset = no limit. */
  daily_budget_dollars: z.number().nonnegative().optional(),
  /** Parallel request slots Ollama runs per model (its OLLAMA_NUM_PARALLEL), for queue-wait prediction. */
  local_parallel_slots: z.number().int().positive().default(1),
  /** How often loaded models are read from the local engine (`/api/ps`). */
  poll_interval_ms: z.number().int().positive().default(5000),
  circuit_breaker: z
    .object({
      /** Consecutive failures that open the circuit for an upstream. */
      failure_threshold: z.number().int().positive().default(5),
      /** How long an open circuit stays open before one probe is let through. */
      cooldown_ms: z.number().int().positive().default(30_000),
    })
    .prefault({}),
});

export const configSchema = z.object({
  server: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(4000),
      /** Request bodies above this are refused with 413. */
      body_limit_bytes: z
        .number()
        .int()
        .positive()
        .default(20 * 1024 * 1024),
      /** How long shutdown waits for in-flight requests before closing anyway. */
      shutdown_grace_ms: z.number().int().nonnegative().default(10_000),
    })
    .prefault({}),
  database: z.object({ path: z.string().default('./data/switchyard.db') }).prefault({}),
  ollama: z
    .object({
      host: z.string().default('http://127.0.0.1:11434'),
      /** Model served for `auto` until routing has profiles, and when no other choice is possible. */
      default_model: z.string().optional(),
      /** How long Ollama keeps a model loaded after a request (Ollama duration: "5m", "1h", "-1"). */
      keep_alive: z.union([z.string(), z.number()]).default('30m'),
      /** Smallest num_ctx switchyard asks for; prompts above it get a larger, stepped context. */
      min_context: z.number().int().positive().default(8192),
      /** num_ctx grows in multiples of this, so that it stays stable across similar requests. */
      context_step: z.number().int().positive().default(8192),
      /** How long the /api/tags model list is cached. */
      models_cache_ms: z.number().int().nonnegative().default(10_000),
      timeout_ms: z.number().int().positive().default(600_000),
    })
    .prefault({}),
  anthropic: anthropicProviderSchema.prefault({}),
  gemini: geminiProviderSchema.prefault({}),
  /** Short names for model ids: `claude: anthropic/claude-sonnet-5-5`, or routed aliases with deadlines. */
  aliases: z.record(z.string(), z.union([z.string(), routedAliasSchema])).default({
    claude: 'anthropic/claude-sonnet-5-5',
    gemini: 'gemini/gemini-2.5-flash',
  }),
  routing: routingSchema.prefault({}),
  retry: z
    .object({
      /** Extra tries on 429/5xx before the first byte reached the client. Never after. */
      max_retries: z.number().int().min(0).max(10).default(2),
      base_delay_ms: z.number().int().nonnegative().default(250),
      max_delay_ms: z.number().int().nonnegative().default(8000),
    })
    .prefault({}),
  profiler: z
    .object({
      /** Profile rows are written in batches, at least this often. */
      flush_interval_ms: z.number().int().positive().default(1000),
      flush_batch_size: z.number().int().positive().default(200),
      /** CPU, memory and GPU are sampled on this interval, never per request. 0 disables sampling. */
      system_sample_interval_ms: z.number().int().nonnegative().default(15_000),
      /** Recent observations kept in memory per model for prediction. */
      window_size: z.number().int().positive().default(200),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type CloudProviderConfig = z.infer<typeof cloudProviderSchema>;
export type AnthropicProviderConfig = z.infer<typeof anthropicProviderSchema>;
export type CloudModelConfig = z.infer<typeof cloudModelSchema>;
export type RoutingConfig = z.infer<typeof routingSchema>;
export type RoutedAliasConfig = z.infer<typeof routedAliasSchema>;
export type ComplexityClass = z.infer<typeof complexityClassSchema>;
