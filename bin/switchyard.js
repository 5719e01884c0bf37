#!/usr/bin/env node
// The `switchyard` command: runs dist/server.js, the esbuild bundle of src/ (scripts/build.mjs). When the
// bundle is missing (a fresh checkout) or older than a file under src/ (a developer's edit), it is built
// first, in under a second, so `npm start` needs no separate build step. Running the bundle instead of
// src/ through tsx's loader saves 60–80 MB of RSS (bench/RESULTS.md).
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundlePath, isStale } from '../scripts/build.mjs';

// The same JSON lines on stderr as the server's own log (src/log.ts).
const log = (level, message) => {
  const quiet = level === 'info' && ['warn', 'error'].includes(process.env.SWITCHYARD_LOG_LEVEL ?? '');
  if (!quiet) process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message })}\n`);
};

const bundle = bundlePath();
if (isStale()) {
  log('info', `building ${bundle} from src/`);
  // In a short-lived child, not here: esbuild's JavaScript and the build's buffers would stay in this
  // process's RSS (~5 MB) for as long as the server runs. It has exited before the server starts.
  const build = spawnSync(
    process.execPath,
    [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (build.status !== 0) {
    log('error', `cannot build ${bundle}: ${build.error?.message ?? 'see the errors above'}`);
    process.exit(1);
  }
}
await import(pathToFileURL(bundle).href);
