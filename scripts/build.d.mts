// Types for scripts/build.mjs (plain JavaScript so that node runs it without a TypeScript loader).

/** The checkout (or installed package) the build script belongs to. */
export declare const root: string;
/** `<root>/dist`, where `bin/switchyard.js` expects the bundle. */
export declare const defaultOutdir: string;
/** The bundle's path in `outdir` (`<outdir>/server.js`). */
export declare function bundlePath(outdir?: string): string;
/** Whether the bundle in `outdir` is missing or older than a file or directory under `src/` (or the build's own inputs). */
export declare function isStale(outdir?: string): boolean;
/** Bundles `src/server.ts` into `outdir` (default `dist/`) and returns the bundle's path. */
export declare function build(options?: { outdir?: string }): Promise<string>;
