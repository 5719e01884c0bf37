/**
 * @module profiler/cpu-load
 * The machine's CPU load between two readings, from the kernel's per-CPU time counters (`os.cpus()`).
 *
 * Why not systeminformation's `currentLoad()`: on Linux it runs `execSync('cat /proc/stat | grep cpu')`
 * on every call, which blocks the event loop — every in-flight stream of the proxy — for the time a
 * shell takes to start (≈10 ms on a small VM, more under load). The figure it returns is this same
 * ratio of busy to total time over the CPU counters. One difference: Node's counters have no steal
 * time, which systeminformation counted as busy, so on a VM whose host is overcommitted the load reads
 * lower than systeminformation's.
 */
import { cpus as readCpus } from 'node:os';

/** The per-CPU time counters, as `os.cpus()` gives them (milliseconds since boot). */
export type ReadCpuTimes = () => readonly {
  times: Readonly<Record<'user' | 'nice' | 'sys' | 'idle' | 'irq', number>>;
}[];

/** Busy share of all CPUs, in percent, since the previous call (since boot on the first). */
export type CpuLoadMeter = () => number;

export function createCpuLoadMeter(read: ReadCpuTimes = readCpus): CpuLoadMeter {
  let previous: Counters[] = read().map(countersOf);
  let first = true;
  return () => {
    const current = first ? previous : read().map(countersOf);
    // The first reading, or CPUs that went on- or offline since the last one (os.cpus() lists the
    // online ones, so indices no longer match): the busy share since boot, rather than a wrong delta.
    const since = first || current.length !== previous.length ? undefined : previous;
    first = false;
    previous = current;
    let busy = 0;
    let all = 0;
    for (const [index, counters] of current.entries()) {
      const base = since?.[index] ?? { busy: 0, all: 0 };
      // Counters that went backwards (a CPU replaced under the same index) say nothing about this interval.
      if (counters.busy < base.busy || counters.all < base.all) continue;
      busy += counters.busy - base.busy;
      all += counters.all - base.all;
    }
    // No tick between two readings (called twice within a few ms): nothing to divide.
    if (all <= 0) return 0;
    return Math.min(100, Math.max(0, (busy / all) * 100));
  };
}

interface Counters {
  busy: number;
  all: number;
}

function countersOf({ times }: ReturnType<ReadCpuTimes>[number]): Counters {
  const all = times.user + times.nice + times.sys + times.idle + times.irq;
  return { busy: all - times.idle, all };
}
