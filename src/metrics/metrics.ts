/**
 * @module metrics/metrics
 * Every Prometheus metric switchyard exposes, named in this one file. Names follow Prometheus's and
 * vLLM's conventions: `switchyard_` prefix, base units (seconds, bytes), `_total` for counters. Each app
 * instance gets its own registry, so tests and embedded uses never share or leak state.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CompletionProfile, SystemSample } from '../profiler/completion-profile.js';

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160];
const overheadBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];
const rateBuckets = [1, 2, 5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240];

export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];

  const metrics = {
    registry,
    requests: new Counter({
      name: 'switchyard_requests_total',
      help: 'Chat completion requests answered, by provider, model and HTTP status.',
      labelNames: ['provider', 'model', 'status'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'switchyard_request_duration_seconds',
      help: 'Time from receiving a request to sending its last byte.',
      labelNames: ['provider', 'model', 'route'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: 'switchyard_time_to_first_token_seconds',
      help: 'Time from sending the upstream call to its first content token.',
      labelNames: ['provider', 'model'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    overhead: new Histogram({
      name: 'switchyard_overhead_seconds',
      help: "switchyard's own time per request, outside the upstream call.",
      labelNames: ['route'] as const,
      buckets: overheadBuckets,
      registers,
    }),
    promptTokens: new Counter({
      name: 'switchyard_prompt_tokens_total',
      help: 'Prompt tokens processed, as reported by the upstream.',
      labelNames: ['provider', 'model'] as const,
      registers,
    }),
    completionTokens: new Counter({
      name: 'switchyard_completion_tokens_total',
      help: 'Completion tokens generated, as reported by the upstream.',
      labelNames: ['provider', 'model'] as const,
      registers,
    }),
    upstreamErrors: new Counter({
      name: 'switchyard_upstream_errors_total',
      help: 'Upstream attempts that failed, by error kind.',
      labelNames: ['provider', 'model', 'kind'] as const,
      registers,
    }),
    prefillRate: new Histogram({
      name: 'switchyard_ollama_prefill_tokens_per_second',
      help: 'Ollama prompt evaluation rate per completion (prompt_eval_count / prompt_eval_duration).',
      labelNames: ['model'] as const,
      buckets: rateBuckets,
      registers,
    }),
    decodeRate: new Histogram({
      name: 'switchyard_ollama_decode_tokens_per_second',
      help: 'Ollama generation rate per completion (eval_count / eval_duration).',
      labelNames: ['model'] as const,
      buckets: rateBuckets,
      registers,
    }),
    loadDuration: new Histogram({
      name: 'switchyard_ollama_load_duration_seconds',
      help: 'Ollama model load time per completion (load_duration).',
      labelNames: ['model'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    coldStarts: new Counter({
      name: 'switchyard_ollama_cold_starts_total',
      help: 'Completions for which Ollama had to load the model.',
      labelNames: ['model'] as const,
      registers,
    }),
    cloudCost: new Counter({
      name: 'switchyard_cloud_cost_dollars_total',
      help: 'Cost of cloud completions in US dollars, from the prices in the config.',
      labelNames: ['provider', 'model'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'switchyard_upstream_retries_total',
      help: 'Upstream calls retried before the first byte reached the client.',
      labelNames: ['provider', 'model', 'kind'] as const,
      registers,
    }),
    routeDecisions: new Counter({
      name: 'switchyard_route_decisions_total',
      help: 'Routing decisions for auto requests, by the side chosen first and the reason code.',
      labelNames: ['route', 'reason'] as const,
      registers,
    }),
    escalations: new Counter({
      name: 'switchyard_escalations_total',
      help: 'Requests answered by a later attempt after an earlier one failed before its first token.',
      labelNames: ['from_provider', 'to_provider'] as const,
      registers,
    }),
    predictionError: new Histogram({
      name: 'switchyard_route_prediction_error_ratio',
      help: 'Absolute relative error of the predicted local time to first token and total time (|predicted - actual| / actual).',
      labelNames: ['kind'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5],
      registers,
    }),
    profileWriteErrors: new Counter({
      name: 'switchyard_profile_write_errors_total',
      help: 'Batches of profile rows that could not be written to SQLite.',
      registers,
    }),
    cpuLoad: new Gauge({
      name: 'switchyard_system_cpu_load_ratio',
      help: 'Machine CPU load, 0 to 1, from the last system sample.',
      registers,
    }),
    memoryUsed: new Gauge({
      name: 'switchyard_system_memory_used_bytes',
      help: 'Machine memory in use, from the last system sample.',
      registers,
    }),
    memoryTotal: new Gauge({
      name: 'switchyard_system_memory_total_bytes',
      help: 'Machine memory in total.',
      registers,
    }),
    gpuUtilization: new Gauge({
      name: 'switchyard_system_gpu_utilization_ratio',
      help: 'GPU utilisation, 0 to 1, where the platform reports it.',
      registers,
    }),
    vramUsed: new Gauge({
      name: 'switchyard_system_vram_used_bytes',
      help: 'GPU memory in use, where the platform reports it.',
      registers,
    }),
    vramTotal: new Gauge({
      name: 'switchyard_system_vram_total_bytes',
      help: 'GPU memory in total, where the platform reports it.',
      registers,
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Feeds one recorded attempt into the per-completion metrics. */
export function observeCompletion(metrics: Metrics, profile: CompletionProfile): void {
  const labels = { provider: profile.provider, model: profile.model };
  if (profile.outcome === 'upstream_error' || profile.outcome === 'deadline_exceeded') {
    metrics.upstreamErrors.inc({ ...labels, kind: profile.errorKind ?? profile.outcome });
  }
  if (profile.timeToFirstTokenMs !== undefined) {
    metrics.timeToFirstToken.observe(labels, profile.timeToFirstTokenMs / 1000);
  }
  if (profile.promptTokens) metrics.promptTokens.inc(labels, profile.promptTokens);
  if (profile.completionTokens) metrics.completionTokens.inc(labels, profile.completionTokens);
  if (profile.costDollars) metrics.cloudCost.inc(labels, profile.costDollars);
  const model = { model: profile.model };
  if (profile.prefillTokensPerSecond !== undefined)
    metrics.prefillRate.observe(model, profile.prefillTokensPerSecond);
  if (profile.decodeTokensPerSecond !== undefined)
    metrics.decodeRate.observe(model, profile.decodeTokensPerSecond);
  if (profile.loadDurationNs !== undefined) metrics.loadDuration.observe(model, profile.loadDurationNs / 1e9);
  if (profile.coldStart) metrics.coldStarts.inc(model);
}

export function observeSystemSample(metrics: Metrics, sample: SystemSample): void {
  metrics.cpuLoad.set(sample.cpuLoadPercent / 100);
  metrics.memoryUsed.set(sample.memoryUsedBytes);
  metrics.memoryTotal.set(sample.memoryTotalBytes);
  if (sample.gpuUtilizationPercent !== undefined)
    metrics.gpuUtilization.set(sample.gpuUtilizationPercent / 100);
  if (sample.vramUsedBytes !== undefined) metrics.vramUsed.set(sample.vramUsedBytes);
  if (sample.vramTotalBytes !== undefined) metrics.vramTotal.set(sample.vramTotalBytes);
}
