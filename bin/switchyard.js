#!/usr/bin/env node
// The `switchyard` command: runs dist/server.js, the esbuild bundle of src/ (scripts/build.mjs). When the
// bundle is missing (a fresh checkout) or older than a file under src/ (a developer's edit), it is built
// first, in under a second, so `npm start` needs no separate build step. Running the bundle instead of
// src/ through tsx's loader saves 60–80 MB of RSS (bench/RESULTS.md, "RSS with the bundle").
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { bundlePath, isStale } from '../scripts/build.mjs';

// V8 lets the old generation grow to up to 4× the live heap before a full collection: ~120 MB, mostly
// garbage, over switchyard's ~30 MB live heap under load. 2× instead, with npm start's
// --max-semi-space-size=4, kept peak RSS at 125–139 MB instead of 136–215 MB at the same CPU per request
// within noise (1.5× saved ~14 MB more for up to 19 % more CPU), and neither is a hard limit that large
// request bodies could hit. V8 reads this flag at every collection, so setting it here works however the
// command is started; --max-semi-space-size, read only when the heap is set up, has to be on node's
// command line. A --heap-growing-percent given to node itself wins.
if (!process.execArgv.some((argument) => /^--heap[-_]growing[-_]percent/.test(argument))) {
  setFlagsFromString('--heap-growing-percent=100');
}

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
