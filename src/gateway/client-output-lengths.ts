/**
 * @module gateway/client-output-lengths
 * How long each client's answers typically are and how much they vary, learned from its completed
 * answers, so that routing can predict an answer's length before it starts.
 */

/** Weight of the newest answer in a client's answer-length statistics (half-life about 7 answers). */
const outputLengthWeight = 0.1;
/** Answers of a client before the spread of their lengths is trusted. */
const minimumAnswersForSpread = 5;
/** Answer lengths kept per client, newest replacing oldest: its empirical length distribution. */
const recentLengthsKept = 64;
/** Answers of a client before its empirical distribution is used (below it, the log-normal serves). */
const minimumAnswersForEmpirical = 12;
/**
 * Clients remembered: the least recently heard from is forgotten beyond this. Clients are told apart by
 * user agent, so a few are usual; the bound keeps a stream of odd user agents from growing memory.
 */
const clientsKept = 256;

/** What is learned of one client's answers. */
interface ClientLengths {
  /** Exponentially weighted, on the log scale: the log-normal's level and spread. */
  logMean: number;
  logVariance: number;
  count: number;
  /** The last `recentLengthsKept` natural lengths (a ring: `next` is where the following one goes). */
  lengths: number[];
  next: number;
}

export class ClientOutputLengths {
  /** In order of the last answer heard: the first key is the client least recently heard from. */
  private readonly byClient = new Map<string, ClientLengths>();

  /** The client's typical answer length (exponentially weighted geometric mean: the median of a log-normal). */
  typicalTokens(client: string): number | undefined {
    const learned = this.byClient.get(client);
    return learned === undefined ? undefined : Math.exp(learned.logMean);
  }

  /** The spread (log scale) of the client's answer lengths, once there are enough answers to say. */
  logSigma(client: string): number | undefined {
    const learned = this.byClient.get(client);
    return learned === undefined || learned.count < minimumAnswersForSpread
      ? undefined
      : Math.sqrt(learned.logVariance);
  }

  /**
   * The client's recent answer lengths, sorted, once there are enough of them: the shape of its length
   * distribution as it is (bounded, skewed, several kinds of answer), which a log-normal only
   * approximates. Read when a running answer's remaining length matters (`routing/slot-wait.ts`).
   */
  recentLengths(client: string): readonly number[] | undefined {
    const learned = this.byClient.get(client);
    if (!learned || learned.lengths.length < minimumAnswersForEmpirical) return undefined;
    return [...learned.lengths].sort((left, right) => left - right);
  }

  /**
   * A completed answer of `completionTokens` tokens for the client. `cut`: it stopped at `max_tokens`, so
   * its natural length is unknown (only that it is at least this): it counts in the log-normal's level
   * as before, but not among the lengths the client's answers are known to end at.
   */
  record(client: string, completionTokens: number, cut = false): void {
    // Exponentially weighted, on the log scale (answer lengths are skewed): the typical length of this
    // client's answers and how much they vary, tracking change.
    const value = Math.log(Math.max(1, completionTokens));
    let learned = this.byClient.get(client);
    if (learned === undefined) {
      learned = { logMean: value, logVariance: 0, count: 1, lengths: [], next: 0 };
    } else {
      const delta = value - learned.logMean;
      learned.logMean += outputLengthWeight * delta;
      learned.logVariance =
        (1 - outputLengthWeight) * (learned.logVariance + outputLengthWeight * delta * delta);
      learned.count += 1;
      this.byClient.delete(client);
    }
    // (Re-)inserted last: the map's order is the order of the last answer heard.
    this.byClient.set(client, learned);
    if (this.byClient.size > clientsKept) {
      const oldest = this.byClient.keys().next().value;
      if (oldest !== undefined) this.byClient.delete(oldest);
    }
    if (!cut) {
      if (learned.lengths.length < recentLengthsKept) learned.lengths.push(completionTokens);
      else learned.lengths[learned.next] = completionTokens;
      learned.next = (learned.next + 1) % recentLengthsKept;
    }
  }
}
