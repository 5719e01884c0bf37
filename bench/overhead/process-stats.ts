/**
 * @module bench/overhead/process-stats
 * What a child process costs, read from `/proc/<pid>/`: resident memory (`VmRSS` sampled every 100 ms,
 * whose maximum over a load phase is the peak under load, and the kernel's high-water mark `VmHWM`) and
 * CPU time (user + system), which divided by the requests served is a low-noise cost per request.
 * Linux only; elsewhere it reports nothing rather than failing the benchmark.
 */
import { readFileSync } from 'node:fs';

export interface MemoryReading {
  rssBytes: number;
  hwmBytes: number;
}

export function readMemory(pid: number): MemoryReading | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : 0;
  };
  return { rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM') };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** User + system CPU milliseconds the process has used so far (all its threads). */
export function readCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may contain spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  return Number.isFinite(user) && Number.isFinite(system)
    ? ((user + system) * 1000) / ticksPerSecond
    : undefined;
}

export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peak = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  /** Starts a new window: `stop()` returns the largest VmRSS seen since. */
  start(): void {
    this.peak = readMemory(this.pid)?.rssBytes ?? 0;
    this.timer = setInterval(() => {
      const reading = readMemory(this.pid);
      if (reading && reading.rssBytes > this.peak) this.peak = reading.rssBytes;
    }, this.intervalMs);
  }

  stop(): number {
    clearInterval(this.timer);
    this.timer = undefined;
    const last = readMemory(this.pid)?.rssBytes ?? 0;
    return Math.max(this.peak, last);
  }
}
