/**
 * @module log
 * A small structured logger: one JSON object per line on stderr, so logs can be grepped or shipped.
 * Call sites pass fields explicitly; request bodies, headers and keys are never logged.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(minimum: LogLevel = 'info', write: (line: string) => void = stderrLine): Logger {
  return (level, message, fields) => {
    if (order[level] < order[minimum]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  };
}

function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger: Logger = () => undefined;
