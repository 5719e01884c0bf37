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

  it('reads this machine within 0–100 %', () => {
    const meter = createCpuLoadMeter();
    for (let i = 0; i < 3; i++) {
      const load = meter();
      expect(load).toBeGreaterThanOrEqual(0);
      expect(load).toBeLessThanOrEqual(100);
    }
  });
});
