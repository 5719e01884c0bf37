/**
 * @module db/client
 * Opens switchyard's SQLite database and brings its schema up to date. Every open goes through here so
 * that the pragmas (WAL, busy timeout, foreign keys) and the migrations are never forgotten, and so
 * that a database that cannot be opened stops start-up with a message that says what to do.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';

/** The drizzle handle, typed with switchyard's schema. */
export type DrizzleDatabase = BetterSQLite3Database<typeof schema>;

/** An open database: the drizzle handle for queries, the raw connection for pragmas and tests. */
export interface Database {
  db: DrizzleDatabase;
  sqlite: BetterSqlite3.Database;
  /** Closes the connection (checkpointing the WAL). Safe to call twice. */
  close(): void;
}

/**
 * Resolved from this file rather than the working directory, so that `switchyard` started from any
 * folder (or through `npx`) finds the migrations it was shipped with. `src/db/` and a compiled
 * `dist/db/` are both two levels below the package root.
 */
const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

const corruptionCodes = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

/**
 * Opens (creating if needed) the database at `path` and applies pending migrations. `:memory:` gives a
 * private in-memory database, for tests.
 * @throws Error whose message names the path and the remedy, with the SQLite error as its `cause`.
 */
export function openDatabase(path: string): Database {
  const inMemory = path === ':memory:' || path === '';
  let sqlite: BetterSqlite3.Database | undefined;
  let stage: 'open' | 'migrate' = 'open';
  try {
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    sqlite = new BetterSqlite3(path);
    // WAL lets the live view and `sqlite3` read while switchyard writes; NORMAL is durable enough
    // under WAL (a power cut can lose the last batch of profiles, never corrupt the file).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    // A second process (an inspection shell) holding a lock makes writes wait rather than fail.
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    const db = drizzle({ client: sqlite, schema });
    stage = 'migrate';
    migrate(db, { migrationsFolder });
    const connection = sqlite;
    return {
      db,
      sqlite: connection,
      close() {
        if (connection.open) connection.close();
      },
    };
  } catch (error) {
    if (sqlite?.open) sqlite.close();
    throw new Error(openFailureMessage(path, stage, error), { cause: error });
  }
}

function openFailureMessage(path: string, stage: 'open' | 'migrate', error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (corruptionCodes.has(code)) {
    return (
      `The database at ${path} is damaged or is not a switchyard database (${reason}) — move the file ` +
      'aside so that a new one is created, or set SWITCHYARD_DB to another path'
    );
  }
  if (stage === 'migrate') {
    return (
      `Cannot bring the database at ${path} up to date (${reason}) — if a newer switchyard created it, ` +
      'run that version, or move the file aside so that a new one is created'
    );
  }
  return (
    `Cannot open the database at ${path} (${reason}) — set SWITCHYARD_DB (or database.path in the ` +
    'config) to a writable file path'
  );
}
