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

interface OutputLengthStats {
  logMean: number;
  logVariance: number;
  count: number;
}

export class ClientOutputLengths {
  private readonly outputTokensByClient = new Map<string, OutputLengthStats>();
  private readonly recentByClient = new Map<string, { lengths: number[]; next: number }>();

  /** The client's typical answer length (exponentially weighted geometric mean: the median of a log-normal). */
  typicalTokens(client: string): number | undefined {
    const stats = this.outputTokensByClient.get(client);
    return stats === undefined ? undefined : Math.exp(stats.logMean);
  }

  /** The spread (log scale) of the client's answer lengths, once there are enough answers to say. */
  logSigma(client: string): number | undefined {
    const stats = this.outputTokensByClient.get(client);
    return stats === undefined || stats.count < minimumAnswersForSpread
      ? undefined
      : Math.sqrt(stats.logVariance);
  }

  /**
   * The client's recent answer lengths, sorted, once there are enough of them: the shape of its length
   * distribution as it is (bounded, skewed, several kinds of answer), which a log-normal only
   * approximates. Read when a running answer's remaining length matters (`routing/slot-wait.ts`).
   */
  recentLengths(client: string): readonly number[] | undefined {
    const recent = this.recentByClient.get(client);
    if (!recent || recent.lengths.length < minimumAnswersForEmpirical) return undefined;
    return [...recent.lengths].sort((left, right) => left - right);
  }

  /** A completed answer of `completionTokens` tokens for the client. */
  record(client: string, completionTokens: number): void {
    let recent = this.recentByClient.get(client);
    if (!recent) {
      recent = { lengths: [], next: 0 };
      this.recentByClient.set(client, recent);
    }
    if (recent.lengths.length < recentLengthsKept) recent.lengths.push(completionTokens);
    else recent.lengths[recent.next] = completionTokens;
    recent.next = (recent.next + 1) % recentLengthsKept;
    // Exponentially weighted, on the log scale (answer lengths are skewed): the typical length of this
    // client's answers and how much they vary, tracking change.
    const value = Math.log(Math.max(1, completionTokens));
    const stats = this.outputTokensByClient.get(client);
    if (stats === undefined) {
      this.outputTokensByClient.set(client, { logMean: value, logVariance: 0, count: 1 });
    } else {
      const delta = value - stats.logMean;
      stats.logMean += outputLengthWeight * delta;
      stats.logVariance = (1 - outputLengthWeight) * (stats.logVariance + outputLengthWeight * delta * delta);
      stats.count += 1;
    }
  }
}
