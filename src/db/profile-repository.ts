/**
 * @module db/profile-repository
 * Reads and writes the profiler's tables (completions, system samples) and the routing engine's
 * learned outcomes. It maps rows to the domain types (`NULL` ↔ `undefined`) so that no other folder
 * sees drizzle or SQL. All calls are synchronous (better-sqlite3): callers keep them off the request
 * path (the profile writer batches, the sampler runs on a timer).
 */
import { and, asc, count, desc, eq, getTableColumns, gte, sql } from 'drizzle-orm';
import type { CompletionProfile, SystemSample } from '../profiler/completion-profile.js';
import type { Database } from './client.js';
import { completions, learnedOutcomes, systemSamples } from './schema.js';

/** A profile as it is written: with the machine sample it ran under, when there was one. */
export interface CompletionRecord extends CompletionProfile {
  systemSampleId?: number;
}

/** A profile as it is read back: with its row id. */
export interface StoredCompletion extends CompletionRecord {
  id: number;
}

/** What routing has learned about one model on one complexity class (decayed weights). */
export interface LearnedOutcome {
  provider: string;
  model: string;
  complexity: string;
  successes: number;
  failures: number;
  /** ms since the epoch. */
  updatedAt: number;
}

export interface ListCompletionsOptions {
  /** Only the attempts of this request. */
  requestId?: string;
  /** At most this many rows (the oldest first). Default: all. */
  limit?: number;
}

export interface RecentCompletionsOptions {
  /** How many of the most recent rows to return for each provider+model. */
  perModelLimit: number;
}

export interface ProfileRepository {
  /** Writes the rows in one transaction: all or none. */
  insertCompletions(profiles: readonly CompletionRecord[]): void;
  /** Writes one sample and returns its id, for completions to reference. */
  insertSystemSample(sample: SystemSample): number;
  /** The newest sample with its id, for the live view and diagnostics. */
  latestSystemSample(): (SystemSample & { id: number }) | undefined;
  /** The most recent `perModelLimit` rows of each provider+model, oldest first (for replaying into statistics). */
  recentCompletions(options: RecentCompletionsOptions): StoredCompletion[];
  countCompletions(): number;
  /** Rows in insertion order, for tests and inspection. */
  listCompletions(options?: ListCompletionsOptions): StoredCompletion[];
  loadLearnedOutcomes(): LearnedOutcome[];
  /** Dollars spent on completions started at or after `startedAt` (ms since the epoch): the day's cloud spend. */
  sumCostSince(startedAt: number): number;
  /** Inserts or replaces the rows (keyed by provider, model, complexity) in one transaction. */
  saveLearnedOutcomes(rows: readonly LearnedOutcome[]): void;
}

type CompletionRow = typeof completions.$inferSelect;

/**
 * Compile-time guard: the columns and the profile's fields are the same set of names. Adding a field
 * to `CompletionProfile` without a column (and a generated migration), or a column without a field,
 * fails type-checking here rather than silently dropping data.
 */
type UnmatchedNames =
  | Exclude<keyof CompletionProfile, keyof CompletionRow>
  | Exclude<keyof CompletionRow, keyof StoredCompletion>;
const columnsMatchProfileFields: [UnmatchedNames] extends [never] ? true : false = true;
void columnsMatchProfileFields;

/** Nullable columns become optional properties; `NULL` becomes an absent property. */
type WithoutNulls<T> = { [K in keyof T as null extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as null extends T[K] ? K : never]?: Exclude<T[K], null>;
};

function withoutNulls<T extends object>(row: T): WithoutNulls<T> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value !== null && value !== undefined) result[key] = value;
  }
  return result as WithoutNulls<T>;
}

function toStoredCompletion(row: CompletionRow): StoredCompletion {
  return withoutNulls(row);
}

function toSystemSampleValues(sample: SystemSample): typeof systemSamples.$inferInsert {
  return {
    sampledAt: sample.sampledAt,
    cpuLoadPercent: sample.cpuLoadPercent,
    memoryUsedBytes: sample.memoryUsedBytes,
    memoryTotalBytes: sample.memoryTotalBytes,
    gpuUtilizationPercent: sample.gpuUtilizationPercent,
    vramUsedBytes: sample.vramUsedBytes,
    vramTotalBytes: sample.vramTotalBytes,
  };
}

/**
 * The completions insert, as one prepared statement built from the drizzle schema (so the schema stays
 * the one source of column names). The writer runs on the event loop, and rendering 41 columns through
 * drizzle's query builder cost 20 to 50 times as much as binding a prepared statement: measured on a
 * batch of 200 rows, tens of milliseconds of blocked requests against two or three.
 */
function prepareCompletionInsert(database: Database): (profile: CompletionRecord) => void {
  const columns = Object.entries(getTableColumns(completions)).filter(([key]) => key !== 'id');
  const names = columns.map(([, column]) => `"${column.name}"`).join(', ');
  const placeholders = columns.map(() => '?').join(', ');
  const statement = database.sqlite.prepare(`insert into "completions" (${names}) values (${placeholders})`);
  const keys = columns.map(([key]) => key as keyof CompletionRecord);
  return (profile) => {
    statement.run(keys.map((key) => toSqliteValue(profile[key])));
  };
}

/** What drizzle's column modes would do: booleans as 0/1, absent as NULL. */
function toSqliteValue(value: CompletionRecord[keyof CompletionRecord]): string | number | null {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

export function createProfileRepository(database: Database): ProfileRepository {
  const { db } = database;
  const insertCompletion = prepareCompletionInsert(database);

  return {
    insertCompletions(profiles) {
      if (profiles.length === 0) return;
      database.sqlite.transaction(() => {
        for (const profile of profiles) insertCompletion(profile);
      })();
    },

    insertSystemSample(sample) {
      const row = db
        .insert(systemSamples)
        .values(toSystemSampleValues(sample))
        .returning({ id: systemSamples.id })
        .get();
      return row.id;
    },

    latestSystemSample() {
      const row = db.select().from(systemSamples).orderBy(desc(systemSamples.id)).limit(1).get();
      return row === undefined ? undefined : withoutNulls(row);
    },

    recentCompletions({ perModelLimit }) {
      // One indexed range scan per model (newest first, LIMIT) rather than a window function over
      // the whole table: start-up time then grows with the number of models, not of rows.
      const models = db
        .select({ provider: completions.provider, model: completions.model })
        .from(completions)
        .groupBy(completions.provider, completions.model)
        .all();
      const rows = models.flatMap(({ provider, model }) =>
        db
          .select()
          .from(completions)
          .where(and(eq(completions.provider, provider), eq(completions.model, model)))
          .orderBy(desc(completions.startedAt), desc(completions.id))
          .limit(perModelLimit)
          .all(),
      );
      rows.sort((left, right) => left.startedAt - right.startedAt || left.id - right.id);
      return rows.map(toStoredCompletion);
    },

    countCompletions() {
      return db.select({ rows: count() }).from(completions).get()?.rows ?? 0;
    },

    listCompletions({ requestId, limit } = {}) {
      const query = db
        .select()
        .from(completions)
        .where(requestId === undefined ? undefined : eq(completions.requestId, requestId))
        .orderBy(asc(completions.id));
      const rows = limit === undefined ? query.all() : query.limit(limit).all();
      return rows.map(toStoredCompletion);
    },

    sumCostSince(startedAt) {
      const row = db
        .select({ total: sql<number | null>`sum(${completions.costDollars})` })
        .from(completions)
        .where(gte(completions.startedAt, startedAt))
        .get();
      return row?.total ?? 0;
    },

    loadLearnedOutcomes() {
      return db
        .select()
        .from(learnedOutcomes)
        .orderBy(asc(learnedOutcomes.provider), asc(learnedOutcomes.model), asc(learnedOutcomes.complexity))
        .all();
    },

    saveLearnedOutcomes(rows) {
      if (rows.length === 0) return;
      db.transaction((tx) => {
        for (const row of rows) {
          tx.insert(learnedOutcomes)
            .values(row)
            .onConflictDoUpdate({
              target: [learnedOutcomes.provider, learnedOutcomes.model, learnedOutcomes.complexity],
              set: { successes: row.successes, failures: row.failures, updatedAt: row.updatedAt },
            })
            .run();
        }
      });
    },
  };
}
