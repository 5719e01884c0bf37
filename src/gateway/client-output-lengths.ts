/**
 * @module gateway/client-output-lengths
 * How long each client's answers typically are and how much they vary, learned from its completed
 * answers, so that routing can predict an answer's length before it starts.
 */

/** Weight of the newest answer in a client's answer-length statistics (half-life about 7 answers). */
const outputLengthWeight = 0.1;
/** Answers of a client before the spread of their lengths is trusted. */
const minimumAnswersForSpread = 5;

interface OutputLengthStats {
  logMean: number;
  logVariance: number;
  count: number;
}

export class ClientOutputLengths {
  private readonly outputTokensByClient = new Map<string, OutputLengthStats>();

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

  /** A completed answer of `completionTokens` tokens for the client. */
  record(client: string, completionTokens: number): void {
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
