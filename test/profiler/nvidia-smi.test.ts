import { describe, expect, it } from 'vitest';
import { createNvidiaSmiReader, parseNvidiaSmiCsv, type RunProgram } from '../../src/profiler/nvidia-smi.js';

function enoent(): Error {
  return Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
}

describe('nvidia-smi reader', () => {
  it('parses one GPU per line, leaving fields the driver does not report undefined', () => {
    expect(parseNvidiaSmiCsv('45, 2048, 8192\n3, [N/A], 16384\n[Not Supported], 100, 200\n\n')).toEqual([
      { utilizationPercent: 45, memoryUsedMiB: 2048, memoryTotalMiB: 8192 },
      { utilizationPercent: 3, memoryTotalMiB: 16384 },
      { memoryUsedMiB: 100, memoryTotalMiB: 200 },
    ]);
  });

  it('asks nvidia-smi for exactly the three figures, as CSV without units, with a timeout', async () => {
    const calls: { file: string; args: readonly string[]; timeoutMs: number }[] = [];
    const run: RunProgram = async (file, args, timeoutMs) => {
      calls.push({ file, args, timeoutMs });
      return '10, 1, 2\n';
    };
    expect(await createNvidiaSmiReader({ run, timeoutMs: 1234 })()).toEqual([
      { utilizationPercent: 10, memoryUsedMiB: 1, memoryTotalMiB: 2 },
    ]);
    expect(calls).toEqual([
      {
        file: 'nvidia-smi',
        args: ['--query-gpu=utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'],
        timeoutMs: 1234,
      },
    ]);
  });

  it('without nvidia-smi answers no GPUs and does not spawn again until the retry time has passed', async () => {
    let clock = 0;
    let spawns = 0;
    let installed = false;
    const run: RunProgram = async () => {
      spawns++;
      if (!installed) throw enoent();
      return '50, 1024, 4096';
    };
    const read = createNvidiaSmiReader({ run, now: () => clock, retryAbsentMs: 60_000 });
    expect(await read()).toEqual([]);
    clock = 59_999;
    expect(await read()).toEqual([]);
    expect(spawns).toBe(1);
    installed = true;
    clock = 60_000;
    expect(await read()).toEqual([{ utilizationPercent: 50, memoryUsedMiB: 1024, memoryTotalMiB: 4096 }]);
    expect(spawns).toBe(2);
  });

  it('rejects on any other failure, and tries again at the next sample', async () => {
    let spawns = 0;
    const run: RunProgram = async () => {
      spawns++;
      throw Object.assign(
        new Error('NVIDIA-SMI has failed because it could not communicate with the driver'),
        {
          code: 9,
        },
      );
    };
    const read = createNvidiaSmiReader({ run });
    await expect(read()).rejects.toThrow(/NVIDIA-SMI has failed/);
    await expect(read()).rejects.toThrow(/NVIDIA-SMI has failed/);
    expect(spawns).toBe(2);
  });

  it('on this machine answers a list (empty without an NVIDIA driver) or a driver error, never hangs', async () => {
    const result = await createNvidiaSmiReader({ timeoutMs: 5_000 })().then(
      (gpus) => gpus,
      (error: unknown) => error,
    );
    if (Array.isArray(result)) {
      for (const gpu of result) expect(Object.keys(gpu).length).toBeGreaterThan(0);
    } else {
      expect(result).toBeInstanceOf(Error);
    }
  });

  it('stops waiting for a run that never exits, and starts no second one beside it', async () => {
    let spawns = 0;
    const hung: RunProgram = () => {
      spawns++;
      return new Promise<string>(() => undefined);
    };
    const read = createNvidiaSmiReader({ run: hung, timeoutMs: 20 });
    await expect(read()).rejects.toThrow(/did not exit within 1020 ms/);
    await expect(read()).rejects.toThrow(/has not finished its previous run/);
    expect(spawns).toBe(1);
  });
});
