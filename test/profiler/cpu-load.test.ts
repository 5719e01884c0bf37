import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createCpuLoadMeter, type ReadCpuTimes } from '../../src/profiler/cpu-load.js';

function cpuTimes(...cpus: { busy: number; idle: number }[]): ReturnType<ReadCpuTimes> {
  // Busy time spread over the counters the kernel keeps, so each one is shown to count.
  return cpus.map(({ busy, idle }) => ({
    times: { user: busy * 0.5, nice: busy * 0.1, sys: busy * 0.3, irq: busy * 0.1, idle },
  }));
}

describe('CPU load meter', () => {
  it('reports the busy share since boot first, then since the previous reading, over all CPUs', () => {
    const readings = [
      cpuTimes({ busy: 100, idle: 300 }, { busy: 100, idle: 300 }), // at creation
      // next: +60 busy +40 idle on one CPU, +0 busy +100 idle on the other → 60 of 200
      cpuTimes({ busy: 160, idle: 340 }, { busy: 100, idle: 400 }),
      // then: both fully busy for 50 → 100 %
      cpuTimes({ busy: 210, idle: 340 }, { busy: 150, idle: 400 }),
    ];
    let index = 0;
    const meter = createCpuLoadMeter(() => readings[Math.min(index++, readings.length - 1)] ?? []);
    expect(meter()).toBeCloseTo(25); // since boot: 200 busy of 800
    expect(meter()).toBeCloseTo(30);
    expect(meter()).toBeCloseTo(100);
  });

  it('answers 0 rather than dividing by zero when no time passed between readings', () => {
    const same = cpuTimes({ busy: 10, idle: 10 });
    const meter = createCpuLoadMeter(() => same);
    meter();
    expect(meter()).toBe(0);
  });

  it('a CPU going offline or coming back gives the busy share since boot for that reading, not a mixed delta', () => {
    const readings = [
      cpuTimes({ busy: 100, idle: 100 }, { busy: 0, idle: 200 }),
      cpuTimes({ busy: 200, idle: 100 }, { busy: 0, idle: 300 }), // cpu0 fully busy for 100 → 50 %
      cpuTimes({ busy: 300, idle: 100 }), // cpu1 went offline
      cpuTimes({ busy: 400, idle: 100 }), // cpu0 fully busy again
    ];
    let index = 0;
    const meter = createCpuLoadMeter(() => readings[Math.min(index++, readings.length - 1)] ?? []);
    meter();
    expect(meter()).toBeCloseTo(50);
    expect(meter()).toBeCloseTo(75); // since boot: 300 of 400
    expect(meter()).toBeCloseTo(100);
  });

  it('skips a CPU whose counters went backwards', () => {
    const readings = [
      cpuTimes({ busy: 100, idle: 100 }, { busy: 500, idle: 500 }),
      cpuTimes({ busy: 150, idle: 150 }, { busy: 10, idle: 10 }), // cpu1 replaced under the same index
    ];
    let index = 0;
    const meter = createCpuLoadMeter(() => readings[Math.min(index++, readings.length - 1)] ?? []);
    meter();
    expect(meter()).toBeCloseTo(50);
  });

  it('on this machine, a busy spell between two readings shows as load', () => {
    const meter = createCpuLoadMeter();
    meter();
    const until = Date.now() + 150;
    let spin = 0;
    while (Date.now() < until) spin += 1;
    expect(spin).toBeGreaterThan(0);
    // This thread alone kept one CPU busy for 150 ms: at least a share of it shows, whatever the CPU count.
    expect(meter()).toBeGreaterThan(100 / (2 * cpus().length));
  });
});
