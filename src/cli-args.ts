/**
 * @module cli-args
 * Command-line flags of `switchyard`. Flags override environment variables, which override the YAML.
 */
import { parseArgs } from 'node:util';

export interface CliArgs {
  config?: string;
  host?: string;
  port?: number;
  database?: string;
  ollamaHost?: string;
  help: boolean;
}

export const usage = `Usage: switchyard [options]

  --config <path>       YAML config file (default: $SWITCHYARD_CONFIG, else built-in defaults)
  --host <address>      listen address (default: $HOST or 127.0.0.1)
  --port <number>       listen port (default: $PORT or 4000)
  --db <path>           SQLite database (default: $SWITCHYARD_DB or ./data/switchyard.db)
  --ollama-host <url>   Ollama address (default: $OLLAMA_HOST or http://127.0.0.1:11434)
  -h, --help            show this help
`;

export function parseCliArgs(argv: string[]): CliArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      db: { type: 'string' },
      'ollama-host': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const args: CliArgs = { help: values.help === true };
  if (values.config !== undefined) args.config = values.config;
  if (values.host !== undefined) args.host = values.host;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new Error(`--port ${values.port} is not a port number; use e.g. --port 4000.`);
    }
    args.port = port;
  }
  if (values.db !== undefined) args.database = values.db;
  if (values['ollama-host'] !== undefined) args.ollamaHost = values['ollama-host'];
  return args;
}
