/**
 * @module scripts/build
 * The bundled build: `src/server.ts` and everything it imports from `src/` in one ES module,
 * `dist/server.js` (plus `dist/server.js.map`), which `bin/switchyard.js` runs. Packages stay external,
 * so better-sqlite3, the SDKs and the rest load from node_modules as usual. Plain JavaScript, so that
 * node runs it without a TypeScript loader (tsx's in-process loader costs 60–80 MB of RSS; see
 * bench/RESULTS.md).
 *
 * `import.meta.url` inside a bundled module means the bundle's URL, not the source file's. The modules
 * that find files relative to themselves (`src/config/load-config.ts` → `config/default.yaml`,
 * `src/db/client.ts` → `drizzle/`) would then look in the wrong place, so the build rewrites each
 * `import.meta.url` in `src/` to its source file's URL, computed relative to the bundle's: the checkout
 * can move, and the bundle can sit in any directory inside it (the packages resolve from the checkout's
 * node_modules; the test builds into one of its own under `dist/`).
 *
 * `node scripts/build.mjs [--outdir <dir>]` builds (`bin/switchyard.js` runs it when `isStale()`: the
 * bundle is missing or older than an input, i.e. any file or directory under `src/`, `tsconfig.json` or
 * this file).
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The checkout (or installed package) this script belongs to. */
export const root = fileURLToPath(new URL('..', import.meta.url));
export const defaultOutdir = join(root, 'dist');
const sourceDir = join(root, 'src');
const entry = join(sourceDir, 'server.ts');

/** The bundle's path in `outdir`. */
export function bundlePath(outdir = defaultOutdir) {
  return join(outdir, 'server.js');
}

/** The newest modification time (ms) of `path` and, for a directory, everything under it. */
function newestChange(path) {
  // A file can vanish between listing and stat (an editor's temporary file): it counts as no change.
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return 0;
  let newest = stats.mtimeMs;
  if (stats.isDirectory()) {
    let names = [];
    try {
      names = readdirSync(path);
    } catch {
      // Removed since the stat: its parent's time already says so.
    }
    for (const name of names) newest = Math.max(newest, newestChange(join(path, name)));
  }
  return newest;
}

/**
 * Whether the bundle in `outdir` is missing or older than an input. Directories count too, so that a
 * deleted or renamed source file also triggers a build.
 */
export function isStale(outdir = defaultOutdir) {
  let built;
  try {
    built = statSync(bundlePath(outdir)).mtimeMs;
  } catch {
    return true;
  }
  const inputs = [sourceDir, join(root, 'tsconfig.json'), fileURLToPath(import.meta.url)];
  return inputs.some((input) => newestChange(input) > built);
}

/**
 * An esbuild plugin: in files under `src/`, `import.meta.url` becomes the source file's own URL, as
 * under tsx, expressed relative to the bundle's URL.
 */
function sourceFileUrls(outdir) {
  return {
    name: 'source-file-urls',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(sourceDir + sep)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        const fromBundle = relative(outdir, args.path).split(sep).join('/');
        const url = `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`;
        return { contents: source.replace(/\bimport\.meta\.url\b/g, url), loader: 'ts' };
      });
    },
  };
}

/**
 * Bundles `src/server.ts` into `outdir` and returns the bundle's path. Each file is written under a
 * temporary name and renamed, the map before the code, so that two switchyards starting at once never
 * load half a file. The bundle's modification time is set to the moment the build started: a source
 * file saved during the build is newer, and the next start builds again.
 */
export async function build({ outdir = defaultOutdir } = {}) {
  outdir = resolve(outdir);
  const started = new Date();
  // Loaded here, not at the top: `bin/switchyard.js` imports this module for `isStale()` on every start.
  const esbuild = await import('esbuild');
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      outdir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      // A map beside the bundle costs nothing until node is asked for it: `--enable-source-maps` costs
      // ~13 MB of RSS (it also loads the SDKs' maps) and slows every stack trace, so it is left to the
      // user (README, "What `npm start` runs"). Without it, traces name dist/server.js, whose code is
      // unminified, keeps the functions' names and marks each module with a `// src/…` comment.
      sourcemap: 'linked',
      sourcesContent: false,
      legalComments: 'none',
      logLevel: 'warning',
      write: false,
      plugins: [sourceFileUrls(outdir)],
    });
  } finally {
    // esbuild's service is a child process: stop it rather than leave it to the caller's exit.
    await esbuild.stop();
  }
  mkdirSync(outdir, { recursive: true });
  const files = [...result.outputFiles].sort(
    (a, b) => Number(a.path.endsWith('.js')) - Number(b.path.endsWith('.js')),
  );
  for (const file of files) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    utimesSync(temporary, started, started);
    renameSync(temporary, file.path);
  }
  return bundlePath(outdir);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outdirFlag = process.argv.indexOf('--outdir');
  const outdir = outdirFlag === -1 ? defaultOutdir : resolve(process.argv[outdirFlag + 1] ?? '');
  const started = performance.now();
  try {
    const path = await build({ outdir });
    process.stdout.write(
      `built ${relative(process.cwd(), path)} in ${Math.round(performance.now() - started)} ms\n`,
    );
  } catch (error) {
    // esbuild has printed its own errors; anything else (a directory we cannot write) is printed here.
    if (!Array.isArray(error?.errors))
      process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
    process.exitCode = 1;
  }
}
