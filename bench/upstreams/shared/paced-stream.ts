/**
 * @module Writes a streamed response event by event at simulated times, and carries out the
 * `cut-stream` fault, so both providers' stream encoders only decide what to send and when.
 */
import type { SimulatorExchange } from './simulator-server.js';
import { sleepUntil } from './sleep.js';

export class PacedStream {
  readonly #exchange: SimulatorExchange;
  readonly #cutAfterEvents: number | undefined;
  #sent = 0;

  /** `cutAfterEvents`: destroy the connection once this many events have been written. */
  constructor(exchange: SimulatorExchange, cutAfterEvents: number | undefined) {
    this.#exchange = exchange;
    this.#cutAfterEvents = cutAfterEvents;
  }

  get eventsSent(): number {
    return this.#sent;
  }

  /**
   * Waits until `offsetMs` after the request arrived, then writes `frame` (one whole SSE event) and
   * waits for it to reach the socket. Returns false when the stream is over: client gone, or cut.
   */
  async send(offsetMs: number, frame: string): Promise<boolean> {
    const { signal, response } = this.#exchange;
    await sleepUntil(this.#exchange.receivedAt, offsetMs, signal);
    if (signal.aborted) return false;
    if (this.#cutAfterEvents !== undefined && this.#sent >= this.#cutAfterEvents) {
      this.#exchange.cut();
      return false;
    }
    await new Promise<void>((resolve) => response.write(frame, () => resolve()));
    this.#sent++;
    return !signal.aborted;
  }

  /**
   * Ends the response cleanly, with an optional closing text that is not an event (a JSON array's `]`),
   * unless a cut is pending: then the client sees a truncated stream.
   */
  end(trailer?: string): void {
    if (this.#exchange.signal.aborted) return;
    if (this.#cutAfterEvents !== undefined) {
      this.#exchange.cut();
      return;
    }
    this.#exchange.response.end(trailer);
  }
}
