/**
 * @module bench/overhead/profile-summary
 * Summarises a V8 `.cpuprofile` (from `run.ts --cpu-prof`): self time by function and by package or
 * source file, and total (inclusive) time of the heaviest functions, so hot spots can be read without
 * a browser. `npx tsx bench/overhead/profile-summary.ts <file>.cpuprofile [--top 30]`, or the call tree
 * down to 1% of CPU time, optionally from frames matching a text: `… --tree 1 [--focus readJsonBody]`.
 * switchyard runs as a bundle (`dist/server.js`); its frames are mapped back to `src/` files and lines
 * through the bundle's source map, which must still be the one the profiled process ran (the next start
 * after a change in `src/` rebuilds it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Rewrites frames of bundled code (a `.js` file outside node_modules with a `.map` beside it) to their
 * source file and line. Packages are left alone: their maps lead to their own `src/` folders.
 */
export function mapToSources(profile: CpuProfile): void {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string) => {
    if (!maps.has(url)) {
      const path = `${fileURLToPath(url)}.map`;
      maps.set(url, existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : undefined);
    }
    return maps.get(url);
  };
  for (const { callFrame } of profile.nodes) {
    const { url } = callFrame;
    if (!url.startsWith('file:') || !url.endsWith('.js') || url.includes('/node_modules/')) continue;
    const entry = mapOf(url)?.findEntry(callFrame.lineNumber, callFrame.columnNumber ?? 0);
    if (entry && 'originalSource' in entry) {
      callFrame.url = entry.originalSource;
      callFrame.lineNumber = entry.originalLine;
    }
  }
}

/** Where a frame's code lives: a package name, a source file under the repo, or a V8/Node category. */
function origin(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return packageMatch[1]!;
  if (url.startsWith('node:')) return url;
  const source = /\/((?:src|bench|bin)\/.*)$/.exec(url);
  return source ? source[1]! : url;
}

/**
 * The call tree top-down, merged by function along each path, down to nodes holding at least
 * `minimumShare` of CPU time; `focus` starts it at every frame whose label contains that text.
 */
export function callTree(profile: CpuProfile, minimumShare: number, focus?: string): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index]!;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const inclusive = new Map<number, number>();
  const total = (id: number): number => {
    const cached = inclusive.get(id);
    if (cached !== undefined) return cached;
    let sum = selfMicros.get(id) ?? 0;
    for (const child of byId.get(id)!.children ?? []) sum += total(child);
    inclusive.set(id, sum);
    return sum;
  };
  const root = profile.nodes[0]!;
  total(root.id);
  let busy = 0;
  for (const [id, micros] of selfMicros)
    if (byId.get(id)!.callFrame.functionName !== '(idle)') busy += micros;
  const label = (node: ProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'} ${origin(node.callFrame.url, node.callFrame.functionName)}:${node.callFrame.lineNumber + 1}`;
  const lines: string[] = [];
  // Merge sibling nodes with the same label so recursion through async frames reads as one path.
  const print = (ids: number[], depth: number) => {
    const groups = new Map<string, number[]>();
    for (const id of ids) {
      const key = label(byId.get(id)!);
      groups.set(key, [...(groups.get(key) ?? []), id]);
    }
    const entries = [...groups.entries()]
      .map(([key, members]) => ({ key, members, micros: members.reduce((sum, id) => sum + total(id), 0) }))
      .filter((entry) => entry.micros >= minimumShare * busy)
      .sort((a, b) => b.micros - a.micros);
    for (const entry of entries) {
      const self = entry.members.reduce((sum, id) => sum + (selfMicros.get(id) ?? 0), 0);
      lines.push(
        `${((entry.micros / busy) * 100).toFixed(1).padStart(5)}% ${((self / busy) * 100).toFixed(1).padStart(5)}%  ${'  '.repeat(depth)}${entry.key}`,
      );
      print(
        entry.members.flatMap((id) => byId.get(id)!.children ?? []),
        depth + 1,
      );
    }
  };
  if (focus === undefined) {
    print([root.id], 0);
  } else {
    const starts = profile.nodes.filter((node) => label(node).includes(focus)).map((node) => node.id);
    // Drop starts nested inside another start, so time is not counted twice.
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const startSet = new Set(starts);
    const outermost = starts.filter((id) => {
      for (let current = parent.get(id); current !== undefined; current = parent.get(current)) {
        if (startSet.has(current)) return false;
      }
      return true;
    });
    print(outermost, 0);
  }
  return ['total% self%  (of CPU time, idle excluded)', ...lines].join('\n');
}

export function summariseProfile(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMicros = new Map<number, number>();
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index]!;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const totalMicros = profile.endTime - profile.startTime;
  const label = (node: ProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'} ${origin(node.callFrame.url, node.callFrame.functionName)}:${node.callFrame.lineNumber + 1}`;

  const selfByFunction = new Map<string, number>();
  const selfByOrigin = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id)!;
    selfByFunction.set(label(node), (selfByFunction.get(label(node)) ?? 0) + micros);
    const where = origin(node.callFrame.url, node.callFrame.functionName);
    selfByOrigin.set(where, (selfByOrigin.get(where) ?? 0) + micros);
    // Inclusive time: count each distinct function once per stack.
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const name = label(byId.get(current)!);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
    }
  }
  const busy = [...selfMicros.entries()]
    .filter(([id]) => byId.get(id)!.callFrame.functionName !== '(idle)')
    .reduce((sum, [, micros]) => sum + micros, 0);
  const table = (title: string, entries: Map<string, number>) => {
    const rows = [...entries.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    return [
      title,
      ...rows.map(
        ([name, micros]) =>
          `  ${(micros / 1000).toFixed(1).padStart(9)} ms  ${((micros / busy) * 100).toFixed(1).padStart(5)}%  ${name}`,
      ),
    ].join('\n');
  };
  return [
    `profile: ${(totalMicros / 1e6).toFixed(1)} s wall, ${(busy / 1e6).toFixed(1)} s on CPU (percentages are of CPU time)`,
    table('self time by origin', selfByOrigin),
    table('self time by function', selfByFunction),
    table('inclusive time by function', inclusive),
  ].join('\n\n');
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '30' },
    tree: { type: 'string' },
    focus: { type: 'string' },
  },
});
for (const path of positionals) {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  mapToSources(profile);
  console.log(
    values.tree !== undefined
      ? callTree(profile, Number(values.tree) / 100, values.focus)
      : summariseProfile(profile, Number(values.top)),
  );
}
