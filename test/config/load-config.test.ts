import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load-config.js';
import { configSchema } from '../../src/config/schema.js';

function writeYaml(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'switchyard-config-')), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('config', () => {
  it('config/default.yaml states exactly the built-in defaults', () => {
    const fromFile = loadConfig({ path: 'config/default.yaml', env: {} });
    expect(fromFile).toEqual(configSchema.parse({}));
  });

  it('the example configs are valid', () => {
    expect(() => loadConfig({ path: 'config/examples/laptop-private.yaml', env: {} })).not.toThrow();
  });

  it('environment variables override the file, and CLI flags override both', () => {
    const path = writeYaml('server: { port: 5000 }\nollama: { host: http://10.0.0.2:11434 }\n');
    const env = { PORT: '6000', OLLAMA_HOST: '0.0.0.0:11500', SWITCHYARD_DB: '/tmp/x.db', HOST: '0.0.0.0' };
    const config = loadConfig({ path, env });
    expect(config.server.port).toBe(6000);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.ollama.host).toBe('http://127.0.0.1:11500');
    expect(config.database.path).toBe('/tmp/x.db');
    expect(loadConfig({ path, env, overrides: { port: 7000 } }).server.port).toBe(7000);
  });

  it('SWITCHYARD_CONFIG names the file', () => {
    const path = writeYaml('routing: { ttft_deadline_ms: 1234 }\n');
    expect(loadConfig({ env: { SWITCHYARD_CONFIG: path } }).routing.ttft_deadline_ms).toBe(1234);
  });

  it('a provider section with one setting keeps the default models; an explicit list replaces them', () => {
    const defaults = configSchema.parse({});
    const path = writeYaml('anthropic: { prompt_caching: false }\ngemini: { base_url: https://g.example }\n');
    const config = loadConfig({ path, env: {} });
    expect(config.anthropic.prompt_caching).toBe(false);
    expect(config.anthropic.models).toEqual(defaults.anthropic.models);
    expect(config.anthropic.models.length).toBeGreaterThan(0);
    expect(config.gemini.models).toEqual(defaults.gemini.models);
    const explicit = loadConfig({
      path: writeYaml('anthropic: { models: [{ name: claude-x }] }\n'),
      env: {},
    });
    expect(explicit.anthropic.models.map((model) => model.name)).toEqual(['claude-x']);
  });

  it('a bad value stops start-up with the field path and what is expected', () => {
    const path = writeYaml('server: { port: "eighty" }\nrouting: { deadline_quantile: 3 }\n');
    expect(() => loadConfig({ path, env: {} })).toThrow(ConfigError);
    try {
      loadConfig({ path, env: {} });
    } catch (error) {
      expect(String(error)).toContain('server.port');
      expect(String(error)).toContain('expected number');
      expect(String(error)).toContain('routing.deadline_quantile');
    }
  });

  it('a missing file, invalid YAML and a non-numeric PORT are clear errors', () => {
    expect(() => loadConfig({ path: '/nonexistent/switchyard.yaml', env: {} })).toThrow(/does not exist/);
    expect(() => loadConfig({ path: writeYaml('server: [unclosed'), env: {} })).toThrow(/not valid YAML/);
    expect(() => parseConfig({}, { PORT: 'abc' })).toThrow(/PORT=abc/);
  });
});
