/**
 * @module profiler/system-sampler
 * Samples the machine (CPU load, memory, GPU utilisation and VRAM) on an interval, never per request:
 * a local model's speed depends on what else the machine is doing, so each completion row points at
 * the latest sample. Reading the GPU can be slow (`nvidia-smi` waits on the driver), so the next sample is scheduled only once the previous one has finished: samples never overlap.
 */
import { freemem, totalmem } from 'node:os';
import { mem } from 'systeminformation';
import type { ProfileRepository } from '../db/profile-repository.js';
import { type Metrics, observeSystemSample } from '../metrics/metrics.js';
import type { SystemSample } from './completion-profile.js';
import { createCpuLoadMeter } from './cpu-load.js';
import { createNvidiaSmiReader, type ReadGpus } from './nvidia-smi.js';

/** Takes one sample. Injected in tests; `sampleThisMachine()` in production. */
export type SampleSystem = () => Promise<SystemSample>;

/** The newest sample and its row id (`undefined` if it could not be stored). */
export interface LatestSystemSample {
  readonly id: number | undefined;
  readonly sample: SystemSample;
}

export interface SystemSamplerOptions {
  sample: SampleSystem;
  /** Time between the end of one sample and the start of the next (config `profiler.system_sample_interval_ms`). */
  intervalMs: number;
  repository: Pick<ProfileRepository, 'insertSystemSample'>;
  metrics: Metrics;
  /** Each failing condition is logged once until it recovers, not once per interval. */
  log: (message: string) => void;
}

export interface SystemSampler {
  /** Takes a first sample now, then one every `intervalMs` after the previous finished. */
  start(): void;
  /** Takes a sample now, or joins the one in progress. Never rejects. */
  sampleNow(): Promise<LatestSystemSample | undefined>;
  latest(): LatestSystemSample | undefined;
  /**
   * Stops sampling. A sample still in progress is discarded when it ends rather than awaited: a hung
   * `nvidia-smi` must not hold up shutdown, and the database may be closed by then.
   */
  stop(): Promise<void>;
}

const bytesPerMebibyte = 1024 * 1024;

/**
 * Where each figure comes from: replaceable in tests with made-up machines. Memory comes from
 * systeminformation on Linux (an asynchronous read of /proc/meminfo). CPU load and GPUs are read
 * without it, because its readers of those spawn processes synchronously on every call (`cpu-load.ts`,
 * `nvidia-smi.ts` say which): a proxy's event loop must never wait for a shell or a GPU driver.
 */
export interface SystemInformationSource {
  /** Percent busy across all CPUs since the previous sample. */
  cpuLoadPercent(): number;
  mem(): Promise<{ active: number; total: number }>;
  gpus: ReadGpus;
}

/**
 * Memory in use. On Linux systeminformation reads /proc/meminfo without blocking and reports what is
 * really in use (`active`: total minus available). Elsewhere its reader runs a command synchronously on
 * every call (`sysctl` on macOS, PowerShell on Windows), so the OS's own total and free are used there;
 * on macOS free excludes the file cache, so memory in use reads higher than Activity Monitor's.
 */
function memoryReader(platform: NodeJS.Platform): SystemInformationSource['mem'] {
  if (platform === 'linux') return mem;
  return async () => ({ active: totalmem() - freemem(), total: totalmem() });
}

/** Samples this machine. Each call makes a new source: the CPU meter and the GPU reader keep state. */
export function sampleThisMachine(platform: NodeJS.Platform = process.platform): SampleSystem {
  const source: SystemInformationSource = {
    cpuLoadPercent: createCpuLoadMeter(),
    mem: memoryReader(platform),
    gpus: createNvidiaSmiReader(),
  };
  return () => readSystemSample(source);
}

/** Reads the machine. GPU fields are absent where the platform has no GPU `nvidia-smi` can read. */
export async function readSystemSample(
  source: SystemInformationSource,
  now: () => number = Date.now,
): Promise<SystemSample> {
  const sampledAt = now();
  const cpuLoadPercent = source.cpuLoadPercent();
  const [memory, gpus] = await Promise.all([
    source.mem(),
    // A GPU that cannot be read must not cost the CPU and memory figures.
    source.gpus().catch(() => undefined),
  ]);
  let utilization: number | undefined;
  let vramUsed: number | undefined;
  let vramTotal: number | undefined;
  for (const gpu of gpus ?? []) {
    // With several GPUs the busiest one is what limits a model split across them.
    if (gpu.utilizationPercent !== undefined) {
      utilization = Math.max(utilization ?? 0, gpu.utilizationPercent);
    }
    if (gpu.memoryUsedMiB !== undefined && gpu.memoryTotalMiB !== undefined) {
      vramUsed = (vramUsed ?? 0) + gpu.memoryUsedMiB * bytesPerMebibyte;
      vramTotal = (vramTotal ?? 0) + gpu.memoryTotalMiB * bytesPerMebibyte;
    }
  }
  return {
    sampledAt,
    cpuLoadPercent,
    // `active` rather than `used`: on Linux `used` counts reclaimable page cache as in use.
    memoryUsedBytes: memory.active,
    memoryTotalBytes: memory.total,
    gpuUtilizationPercent: utilization,
    vramUsedBytes: vramUsed,
    vramTotalBytes: vramTotal,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createSystemSampler(options: SystemSamplerOptions): SystemSampler {
  const { repository, metrics, log, intervalMs } = options;
  let latest: LatestSystemSample | undefined;
  let inFlight: Promise<LatestSystemSample | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let stopped = false;
  let samplingFailed = false;
  let storingFailed = false;

  async function takeSample(): Promise<LatestSystemSample | undefined> {
    let sample: SystemSample;
    try {
      sample = await options.sample();
    } catch (error) {
      if (!samplingFailed) log(`Cannot sample the system (${messageOf(error)}); will keep trying`);
      samplingFailed = true;
      return latest;
    }
    samplingFailed = false;
    if (stopped) return latest;
    let id: number | undefined;
    try {
      id = repository.insertSystemSample(sample);
      storingFailed = false;
    } catch (error) {
      if (!storingFailed) log(`Cannot store a system sample (${messageOf(error)}); will keep trying`);
      storingFailed = true;
    }
    observeSystemSample(metrics, sample);
    latest = { id, sample };
    return latest;
  }

  function sampleNow(): Promise<LatestSystemSample | undefined> {
    inFlight ??= takeSample().finally(() => {
      inFlight = undefined;
      scheduleNext();
    });
    return inFlight;
  }

  function scheduleNext(): void {
    if (!running || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void sampleNow();
    }, intervalMs);
    timer.unref();
  }

  return {
    start() {
      if (running || stopped) return;
      running = true;
      void sampleNow();
    },
    sampleNow,
    latest: () => latest,
    async stop() {
      running = false;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
