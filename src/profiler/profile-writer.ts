/**
 * @module profiler/profile-writer
 * Moves profile rows from the request path to SQLite. `enqueue` only appends to an in-memory queue;
 * rows are written in batches (one transaction each) on a timer or when enough have queued, so a
 * request never waits on the disk and SQLite sees a few large transactions instead of many small ones.
 * A failed write keeps its rows for the next attempt; the queue is capped so that a database that
 * stays unwritable costs bounded memory, not the process.
 */
import type { CompletionRecord } from '../db/profile-repository.js';
import type { Metrics } from '../metrics/metrics.js';

export interface ProfileWriterOptions {
  /** Writes one batch, all or nothing, and throws if it could not (SQLITE_BUSY, disk full…). */
  write(rows: readonly CompletionRecord[]): void;
  metrics: Pick<Metrics, 'profileWriteErrors'>;
  /** Where failures and drops are reported; each condition is logged once, not once per row. */
  log: (message: string) => void;
  /** Queued rows are written at least this often (config `profiler.flush_interval_ms`). */
  flushIntervalMs: number;
  /** A write is scheduled as soon as this many rows are queued; also the rows per transaction. */
  flushBatchSize: number;
  /** Above this many queued rows the oldest are dropped. Default 50 000. */
  maxQueuedRows?: number;
}

export interface ProfileWriter {
  /** Queues one row. Synchronous and O(1): never touches SQLite. */
  enqueue(row: CompletionRecord): void;
  /** Starts the periodic flush (an unref'd timer: it never keeps the process alive). */
  start(): void;
  /** Writes every row queued at the time of the call. Never rejects: failures are counted and logged. */
  flush(): Promise<void>;
  /** Stops the timer and writes everything still queued. Rows enqueued afterwards are ignored. */
  close(): Promise<void>;
  /** Rows queued and not yet written. */
  readonly pending: number;
  /** Rows dropped since start because the queue was full (or enqueued after close). */
  readonly dropped: number;
}

const defaultMaxQueuedRows = 50_000;

/** Lets pending I/O and requests run between two batches of a long drain. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createProfileWriter(options: ProfileWriterOptions): ProfileWriter {
  const { write, metrics, log, flushIntervalMs, flushBatchSize } = options;
  const maxQueuedRows = Math.max(options.maxQueuedRows ?? defaultMaxQueuedRows, 1);

  // The queue is an array read from `head`: taking a batch does not shift the array, and rows leave
  // it only once written. `headSequence` numbers rows absolutely, so that a flush can stop at the
  // rows that were queued when it was called.
  let queue: CompletionRecord[] = [];
  let head = 0;
  let headSequence = 0;

  let timer: NodeJS.Timeout | undefined;
  let scheduled: NodeJS.Immediate | undefined;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  let failedAttempts = 0;
  let dropped = 0;
  let droppedSinceReport = 0;

  const pending = () => queue.length - head;

  function advance(rows: number): void {
    head += rows;
    headSequence += rows;
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head >= 1024 && head * 2 >= queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  function drop(rows: number, reason: string): void {
    if (droppedSinceReport === 0) log(reason);
    dropped += rows;
    droppedSinceReport += rows;
  }

  function writeBatch(count: number): boolean {
    try {
      write(queue.slice(head, head + count));
    } catch (error) {
      metrics.profileWriteErrors.inc();
      failedAttempts += 1;
      if (failedAttempts === 1) {
        log(
          `Cannot write profile rows to the database (${messageOf(error)}); keeping ${pending()} rows ` +
            `and retrying every ${flushIntervalMs} ms`,
        );
      }
      return false;
    }
    advance(count);
    if (failedAttempts > 0 || droppedSinceReport > 0) {
      log(
        `Profile rows are being written again after ${failedAttempts} failed attempts` +
          (droppedSinceReport > 0 ? `; ${droppedSinceReport} rows were dropped meanwhile` : ''),
      );
      failedAttempts = 0;
      droppedSinceReport = 0;
    }
    return true;
  }

  async function drain(untilSequence: number): Promise<void> {
    while (headSequence < untilSequence && pending() > 0) {
      const count = Math.min(flushBatchSize, untilSequence - headSequence, pending());
      if (!writeBatch(count)) return;
      if (headSequence < untilSequence && pending() > 0) await yieldToEventLoop();
    }
  }

  function flush(): Promise<void> {
    const untilSequence = headSequence + pending();
    // Flushes run one after another, so that two never write the same rows.
    chain = chain.then(() => drain(untilSequence));
    return chain;
  }

  return {
    enqueue(row) {
      if (closed) {
        drop(1, 'A profile row arrived after the profiler was closed and was not written');
        return;
      }
      queue.push(row);
      if (pending() > maxQueuedRows) {
        drop(
          1,
          `The profile queue is full (${maxQueuedRows} rows) because the database is not accepting ` +
            'writes; dropping the oldest rows until it does',
        );
        advance(1);
      }
      // While writes fail, only the timer retries: a failing write per request would add load to a
      // database that is already struggling.
      if (pending() >= flushBatchSize && scheduled === undefined && failedAttempts === 0) {
        scheduled = setImmediate(() => {
          scheduled = undefined;
          void flush();
        });
      }
    },

    start() {
      if (timer !== undefined || closed) return;
      timer = setInterval(() => {
        if (pending() > 0) void flush();
      }, flushIntervalMs);
      timer.unref();
    },

    flush,

    async close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      if (scheduled !== undefined) clearImmediate(scheduled);
      timer = undefined;
      scheduled = undefined;
      await flush();
      if (pending() > 0) {
        log(`${pending()} profile rows could not be written before shutdown and are lost`);
      }
    },

    get pending() {
      return pending();
    },

    get dropped() {
      return dropped;
    },
  };
}
