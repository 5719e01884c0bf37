/**
 * @module test/server/bundle
 * The bundled build that `bin/switchyard.js` runs (`scripts/build.mjs`): it builds, the files the
 * server finds relative to its own modules (`config/default.yaml`, `drizzle/`) resolve from the bundle,
 * the built server starts, applies its migrations and answers `/health`, and a missing or outdated
 * bundle counts as stale. Built into a directory of its own under `dist/` (inside the checkout, so that
 * the packages resolve from its node_modules), so it never touches the bundle `bin/switchyard.js` runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/overhead/children.js';
import { type OllamaSimulator, startOllamaSimulator } from '../../bench/upstreams/ollama/index.js';
import { build, bundlePath, defaultOutdir, isStale, root } from '../../scripts/build.mjs';

const directory = mkdtempSync(join(tmpdir(), 'switchyard-bundle-'));
mkdirSync(defaultOutdir, { recursive: true });
const outdir = mkdtempSync(join(defaultOutdir, 'test-'));
let bundle: string;
let ollama: OllamaSimulator;

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

beforeAll(async () => {
  bundle = await build({ outdir });
  ollama = await startOllamaSimulator({ port: 0, speedFactor: 5, seed: 3 });
});

afterAll(async () => {
  await ollama?.close();
  rmSync(directory, { recursive: true, force: true });
  rmSync(outdir, { recursive: true, force: true });
});

describe('the bundled build', () => {
  it('writes one ES module with a linked source map and leaves packages to node_modules', () => {
    expect(bundle).toBe(join(outdir, 'server.js'));
    const code = readFileSync(bundle, 'utf8');
    expect(code).toContain('//# sourceMappingURL=server.js.map');
    expect(existsSync(`${bundle}.map`)).toBe(true);
    expect(code).toMatch(/^import .* from "@hono\/node-server";$/m);
    expect(code).toMatch(/^import .* from "better-sqlite3";$/m);
    // Nothing left for a TypeScript loader.
    expect(code).not.toMatch(/from "\.{1,2}\/[^"]*"/);
  });

  it('resolves the files src finds relative to its modules from the bundle', () => {
    const code = readFileSync(bundle, 'utf8');
    const pattern = /new URL\("([^"]+)", new URL\("([^"]+)", import\.meta\.url\)\.href\)/g;
    const targets = [...code.matchAll(pattern)].map(([, target, source]) => {
      const sourceUrl = new URL(source!, pathToFileURL(bundle));
      expect(existsSync(fileURLToPath(sourceUrl))).toBe(true);
      return fileURLToPath(new URL(target!, sourceUrl));
    });
    expect(targets).toEqual(
      expect.arrayContaining([join(root, 'config/default.yaml'), join(root, 'drizzle')]),
    );
    for (const target of targets) expect(existsSync(target)).toBe(true);
    // No import.meta.url of src left unrewritten (it would mean the bundle's location, not the source's).
    expect(code.match(/import\.meta\.url/g)?.length).toBe(targets.length);
  });

  it('starts, applies the migrations and answers /health', async () => {
    const port = await freePort();
    const database = join(directory, 'bundle.db');
    let output = '';
    const child = spawn(process.execPath, [bundle, '--port', String(port), '--db', database], {
      cwd: directory,
      env: { ...process.env, OLLAMA_HOST: ollama.url, SWITCHYARD_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    try {
      const started = Date.now();
      while (!output.includes('listening')) {
        if (child.exitCode !== null || Date.now() - started > 15_000) throw new Error(output);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      expect(response.status).toBe(200);
      const health = (await response.json()) as {
        status: string;
        providers: Record<string, { status: string }>;
      };
      expect(health.status).toBe('ok');
      expect(health.providers.ollama?.status).toBe('ready');
    } finally {
      child.kill('SIGTERM');
      expect(await exitOf(child), output).toBe(0);
    }
    const sqlite = new BetterSqlite3(database, { readonly: true });
    try {
      const tables = sqlite.prepare("select name from sqlite_master where type = 'table'").all() as Array<{
        name: string;
      }>;
      expect(tables.map((table) => table.name)).toEqual(
        expect.arrayContaining(['completions', 'system_samples']),
      );
    } finally {
      sqlite.close();
    }
  });

  it('counts a missing or outdated bundle as stale', () => {
    expect(isStale(outdir)).toBe(false);
    expect(isStale(join(directory, 'nowhere'))).toBe(true);
    expect(bundlePath(join(directory, 'nowhere'))).toBe(join(directory, 'nowhere', 'server.js'));
    const longAgo = new Date('2000-01-01T00:00:00Z');
    utimesSync(bundle, longAgo, longAgo);
    expect(isStale(outdir)).toBe(true);
  });
});
