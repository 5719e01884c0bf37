/**
 * @module config/load-config
 * Loads the YAML config (`SWITCHYARD_CONFIG`, else `config/default.yaml` when present, else built-in
 * defaults), applies environment overrides, and validates with zod. A bad value stops start-up with
 * the field path and what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type Config, configSchema } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadConfigOptions {
  /** Path from the CLI flag or SWITCHYARD_CONFIG. */
  path?: string;
  env: Record<string, string | undefined>;
  /** CLI flags win over everything. */
  overrides?: { host?: string; port?: number; database?: string; ollamaHost?: string };
}

export function loadConfig(options: LoadConfigOptions): Config {
  const path = options.path ?? (options.env.SWITCHYARD_CONFIG || undefined) ?? bundledDefaultPath();
  let raw: unknown = {};
  if (path !== undefined) {
    if (!existsSync(path)) {
      throw new ConfigError(`Config file ${path} does not exist — fix SWITCHYARD_CONFIG or --config.`);
    }
    try {
      raw = parseYaml(readFileSync(path, 'utf8')) ?? {};
    } catch (error) {
      throw new ConfigError(
        `Config file ${path} is not valid YAML: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  return parseConfig(raw, options.env, options.overrides, path ?? 'built-in defaults');
}

export function parseConfig(
  raw: unknown,
  env: Record<string, string | undefined>,
  overrides: LoadConfigOptions['overrides'] = {},
  source = 'config',
): Config {
  const merged = applyOverrides(isObject(raw) ? structuredClone(raw) : raw, env, overrides);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new ConfigError(
      `Invalid configuration in ${source}:\n${lines.join('\n')}\nFix these fields and start again.`,
    );
  }
  return result.data;
}

function applyOverrides(
  raw: unknown,
  env: Record<string, string | undefined>,
  overrides: NonNullable<LoadConfigOptions['overrides']>,
): unknown {
  if (!isObject(raw)) return raw;
  const set = (section: string, key: string, value: unknown) => {
    if (value === undefined || value === '') return;
    const current = raw[section];
    raw[section] = { ...(isObject(current) ? current : {}), [key]: value };
  };
  set('server', 'host', overrides.host ?? env.HOST);
  set('server', 'port', overrides.port ?? numberFromEnv(env.PORT, 'PORT'));
  set('database', 'path', overrides.database ?? env.SWITCHYARD_DB);
  set('ollama', 'host', normaliseOllamaHost(overrides.ollamaHost ?? env.OLLAMA_HOST));
  return raw;
}

/** `config/default.yaml` beside the package, when present (it mirrors the schema's defaults). */
function bundledDefaultPath(): string | undefined {
  const path = fileURLToPath(new URL('../../config/default.yaml', import.meta.url));
  return existsSync(path) ? path : undefined;
}

function numberFromEnv(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed))
    throw new ConfigError(`${name}=${value} is not a port number — set it to e.g. 4000.`);
  return parsed;
}

/** OLLAMA_HOST is often given as `0.0.0.0:11434` or `localhost`, as Ollama's own tools accept. */
function normaliseOllamaHost(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  let host = value.includes('://') ? value : `http://${value}`;
  const url = new URL(host);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (!url.port && !value.includes('://')) url.port = '11434';
  host = url.toString().replace(/\/+$/, '');
  return host;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
