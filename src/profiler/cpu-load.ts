/**
 * @module profiler/cpu-load
 * The machine's CPU load between two readings, from the kernel's per-CPU time counters (`os.cpus()`).
 *
 * Why not systeminformation's `currentLoad()`: on Linux it runs `execSync('cat /proc/stat | grep cpu')`
 * on every call, which blocks the event loop — every in-flight stream of the proxy — for the time a
 * shell takes to start (≈10 ms on a small VM, more under load). The figure it returns is this same
 * ratio of busy to total time over the CPU counters, so nothing is lost by computing it here.
 */
import { cpus as readCpus } from 'node:os';

/** The per-CPU time counters, as `os.cpus()` gives them (milliseconds since boot). */
export type ReadCpuTimes = () => readonly {
  times: Readonly<Record<'user' | 'nice' | 'sys' | 'idle' | 'irq', number>>;
}[];

/** Busy share of all CPUs, in percent, since the previous call (since boot on the first). */
export type CpuLoadMeter = () => number;

export function createCpuLoadMeter(read: ReadCpuTimes = readCpus): CpuLoadMeter {
  let previous = totals(read());
  let first = true;
  return () => {
    const current = first ? previous : totals(read());
    const base = first ? { busy: 0, all: 0 } : previous;
    first = false;
    previous = current;
    const all = current.all - base.all;
    // No tick between two readings (called twice within a few ms): report the last interval's view as idle
    // rather than divide by zero.
    if (all <= 0) return 0;
    return Math.min(100, Math.max(0, ((current.busy - base.busy) / all) * 100));
  };
}

function totals(cpus: ReturnType<ReadCpuTimes>): { busy: number; all: number } {
  let busy = 0;
  let all = 0;
  for (const { times } of cpus) {
    const cpuAll = times.user + times.nice + times.sys + times.idle + times.irq;
    all += cpuAll;
    busy += cpuAll - times.idle;
  }
  return { busy, all };
}
