/**
 * @module profiler/nvidia-smi
 * GPU utilisation and VRAM from `nvidia-smi`, read without blocking the event loop.
 *
 * Why not systeminformation's `graphics()`: on Linux it runs `nvidia-smi` with `execFileSync` (the
 * whole proxy stops for as long as the driver takes to answer, often 100 ms or more), and spawns
 * `lspci -vvv`, `clinfo`, `xdpyinfo` and `xrandr` on every call for display details switchyard never
 * reads. The only figures switchyard stores — utilisation and VRAM used/total — come from `nvidia-smi`
 * on every platform systeminformation supports them on, so asking it directly, asynchronously, keeps
 * the same data at a fraction of the cost.
 */
import { execFile } from 'node:child_process';

export interface GpuReading {
  /** Percent, where the driver reports it. */
  readonly utilizationPercent?: number;
  readonly memoryUsedMiB?: number;
  readonly memoryTotalMiB?: number;
}

export type ReadGpus = () => Promise<readonly GpuReading[]>;

/** Runs a program and resolves with its standard output; the `execFile` shape, injectable in tests. */
export type RunProgram = (file: string, args: readonly string[], timeoutMs: number) => Promise<string>;

export interface NvidiaSmiOptions {
  run?: RunProgram;
  now?: () => number;
  /** A machine without `nvidia-smi` is asked again only after this long (a driver may be installed). */
  retryAbsentMs?: number;
  timeoutMs?: number;
}

const queryArgs = [
  '--query-gpu=utilization.gpu,memory.used,memory.total',
  '--format=csv,noheader,nounits',
] as const;

const runWithExecFile: RunProgram = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true, maxBuffer: 64 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });

/**
 * A reader of the NVIDIA GPUs. No `nvidia-smi` on the PATH means no NVIDIA GPU: the reader answers `[]`
 * without spawning anything until `retryAbsentMs` has passed. Any other failure (driver not loaded,
 * timeout) rejects, and the caller leaves the GPU fields empty for that sample.
 */
export function createNvidiaSmiReader(options: NvidiaSmiOptions = {}): ReadGpus {
  const run = options.run ?? runWithExecFile;
  const now = options.now ?? Date.now;
  const retryAbsentMs = options.retryAbsentMs ?? 10 * 60_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let absentSince: number | undefined;
  // A run that has not ended: a GPU that fell off the bus can leave nvidia-smi in uninterruptible
  // sleep, deaf even to SIGKILL. No second one is started beside it.
  let running: Promise<string> | undefined;
  return async () => {
    if (absentSince !== undefined && now() - absentSince < retryAbsentMs) return [];
    if (running) throw new Error('nvidia-smi has not finished its previous run; GPU figures skipped');
    const started = run('nvidia-smi', queryArgs, timeoutMs);
    running = started;
    started.then(
      () => (running = undefined),
      () => (running = undefined),
    );
    try {
      const output = await withWatchdog(started, timeoutMs + watchdogGraceMs);
      absentSince = undefined;
      return parseNvidiaSmiCsv(output);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        absentSince = now();
        return [];
      }
      throw error;
    }
  };
}

/** How long past its own timeout a run may take to be reaped before the sample stops waiting for it. */
const watchdogGraceMs = 1000;

/**
 * `promise`, or a rejection after `ms`: execFile answers only once the child has exited, and a child
 * that cannot be killed would otherwise hold the sample — and every sample after it — forever.
 */
function withWatchdog<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nvidia-smi did not exit within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
}

/** One GPU per line: `utilization, used MiB, total MiB`; `[N/A]` or `[Not Supported]` where unknown. */
export function parseNvidiaSmiCsv(output: string): GpuReading[] {
  const gpus: GpuReading[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const [utilization, used, total] = line.split(',').map(numberOrUndefined);
    gpus.push({
      ...(utilization !== undefined ? { utilizationPercent: utilization } : {}),
      ...(used !== undefined ? { memoryUsedMiB: used } : {}),
      ...(total !== undefined ? { memoryTotalMiB: total } : {}),
    });
  }
  return gpus;
}

function numberOrUndefined(field: string): number | undefined {
  const value = Number.parseFloat(field.trim());
  return Number.isFinite(value) ? value : undefined;
}
