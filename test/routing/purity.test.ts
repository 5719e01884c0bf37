/**
 * @module test/routing/purity
 * DESIGN note 6 as a test: the decision code (src/routing, src/optimizer, src/deliberation) takes `now`
 * and `random` as inputs and does no I/O. Every file is parsed with the TypeScript compiler (so comments
 * and strings cannot trigger or hide anything) and fails on I/O imports — directly or through the
 * modules it imports at run time — and on reads of the clock, randomness, the network or timers.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const pureFolders = ['src/routing', 'src/optimizer', 'src/deliberation'];

/** Modules that do I/O (or hold a connection): none may be imported by decision code. */
const forbiddenModules: RegExp[] = [
  /^(node:)?(fs|net|http|https|http2|child_process|dgram|dns|tls|cluster|worker_threads|readline)(\/.*)?$/,
  /^better-sqlite3$/,
  /^drizzle-orm(\/.*)?$/,
  /^ollama(\/.*)?$/,
  /^@anthropic-ai\//,
  /^@google\/genai/,
  /^openai(\/.*)?$/,
  /^@hono\/node-server/,
  /^systeminformation$/,
  /^prom-client$/,
];
/** Folders of src whose modules do I/O by design. */
const forbiddenSourceFolders = ['src/db/', 'src/providers/', 'src/gateway/', 'src/metrics/', 'src/routes/'];

/** Reads of the clock, randomness, the network, timers or the environment, as written in source. */
const forbiddenReferences = new Set([
  'Date.now',
  'Math.random',
  'performance.now',
  'globalThis.fetch',
  'crypto.randomUUID',
  'crypto.getRandomValues',
  'process.hrtime',
  'process.env',
]);
const forbiddenCallees = new Set(['fetch', 'setTimeout', 'setInterval', 'setImmediate', 'require']);

interface ModuleImport {
  specifier: string;
  /** `import type` / `export type`: erased at compile time. */
  typeOnly: boolean;
}

function parse(source: string, fileName: string): ts.SourceFile {
  return ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

function importsOf(file: ts.SourceFile): ModuleImport[] {
  const found: ModuleImport[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((element) => element.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** What in `source` breaks purity, one line per finding ("imports node:fs", "uses Date.now"). */
function findImpurities(source: string, fileName = 'sample.ts'): string[] {
  const file = parse(source, fileName);
  const findings: string[] = [];
  for (const { specifier, typeOnly } of importsOf(file)) {
    if (!typeOnly && forbiddenModules.some((pattern) => pattern.test(specifier))) {
      findings.push(`imports ${specifier}`);
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) {
      const text = node.getText(file).replace(/\s+/g, '');
      if (forbiddenReferences.has(text)) findings.push(`uses ${text}`);
    }
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      forbiddenCallees.has(node.expression.text)
    ) {
      findings.push(`calls ${node.expression.text}()`);
    }
    if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'Date' &&
      (node.arguments === undefined || node.arguments.length === 0)
    ) {
      findings.push('reads the clock with new Date()');
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

function sourceFiles(folder: string): string[] {
  const absolute = join(root, folder);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute).flatMap((name) => {
    const path = join(absolute, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(root, path));
    return /\.(ts|mts|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Findings for `path` and, for import findings, every module it loads at run time, transitively. */
function auditFile(path: string, seen = new Set<string>()): string[] {
  if (seen.has(path)) return [];
  seen.add(path);
  const source = readFileSync(path, 'utf8');
  const name = relative(root, path);
  const direct =
    seen.size === 1
      ? findImpurities(source, path)
      : findImpurities(source, path).filter((finding) => finding.startsWith('imports'));
  const findings = direct.map((finding) => `${name}: ${finding}`);
  for (const { specifier, typeOnly } of importsOf(parse(source, path))) {
    if (typeOnly || !specifier.startsWith('.')) continue;
    const target = resolve(dirname(path), specifier.replace(/\.js$/, '.ts'));
    const targetName = relative(root, target);
    if (forbiddenSourceFolders.some((folder) => targetName.startsWith(folder))) {
      findings.push(`${name}: imports ${targetName}, which does I/O`);
    } else if (existsSync(target)) {
      findings.push(...auditFile(target, seen));
    }
  }
  return findings;
}

describe('the checker', () => {
  it.each([
    ["import { readFileSync } from 'node:fs';", 'imports node:fs'],
    ["import { connect } from 'net';", 'imports net'],
    ["export { request } from 'node:http';", 'imports node:http'],
    ["const { spawn } = await import('node:child_process');", 'imports node:child_process'],
    ["const Database = require('better-sqlite3');", 'imports better-sqlite3'],
    ["import { eq } from 'drizzle-orm';", 'imports drizzle-orm'],
    ["import { Ollama } from 'ollama';", 'imports ollama'],
    ["import Anthropic from '@anthropic-ai/sdk';", 'imports @anthropic-ai/sdk'],
    ["import { GoogleGenAI } from '@google/genai';", 'imports @google/genai'],
    ['const startedAt = Date.now();', 'uses Date.now'],
    ['const clock = Date.now;', 'uses Date.now'],
    ['if (Math.random() < rate) explore();', 'uses Math.random'],
    ['const response = await fetch(url);', 'calls fetch()'],
    ['const t = performance.now();', 'uses performance.now'],
    ['const today = new Date();', 'reads the clock with new Date()'],
    ['setTimeout(tick, 10);', 'calls setTimeout()'],
  ])('catches %s', (source, finding) => {
    expect(findImpurities(source)).toContain(finding);
  });

  it.each([
    "import type { Database } from 'better-sqlite3';",
    "import { type Observation } from '../profiler/model-stats.js';",
    '// never call Date.now() or fetch() here',
    "const help = 'use Math.random() elsewhere';",
    'const decision = decide({ now: input.now, random: input.random });',
    'const at = new Date(input.now);',
    'const rate = input.options.fetch;',
  ])('lets %s through', (source) => {
    expect(findImpurities(source)).toEqual([]);
  });

  it('follows run-time imports into other modules, not type-only ones', () => {
    const folder = join(root, 'src/routing');
    // decide.ts imports reasons.ts and latency-model.ts at run time: both were audited with it.
    const seen = new Set<string>();
    auditFile(join(folder, 'decide.ts'), seen);
    expect([...seen].map((path) => relative(root, path))).toEqual(
      expect.arrayContaining([
        'src/routing/decide.ts',
        'src/routing/reasons.ts',
        'src/routing/latency-model.ts',
      ]),
    );
    expect([...seen].map((path) => relative(root, path))).not.toContain('src/profiler/model-stats.ts');
  });
});

describe('the decision code', () => {
  const files = pureFolders.flatMap(sourceFiles);

  it('exists (the routing folder at least)', () => {
    expect(files.some((path) => relative(root, path).startsWith('src/routing/'))).toBe(true);
  });

  it('does no I/O and reads no clock or randomness of its own', () => {
    const findings = files.flatMap((path) => auditFile(path));
    expect(findings).toEqual([]);
  });
});
