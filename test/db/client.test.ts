import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { createProfileRepository } from '../../src/db/profile-repository.js';
import { minimalProfile, temporaryDirectory } from '../profiler/fixtures.js';

function tableNames(sqlite: ReturnType<typeof openDatabase>['sqlite']): string[] {
  const rows = sqlite.prepare("select name from sqlite_master where type = 'table' order by name").all() as {
    name: string;
  }[];
  return rows.map((row) => row.name);
}

describe('openDatabase', () => {
  it('creates the parent directory and applies the migrations to a fresh file', () => {
    const file = path.join(temporaryDirectory(), 'nested', 'dir', 'switchyard.db');
    const database = openDatabase(file);
    try {
      expect(fs.existsSync(file)).toBe(true);
      expect(tableNames(database.sqlite)).toEqual(
        expect.arrayContaining(['completions', 'learned_outcomes', 'system_samples']),
      );
    } finally {
      database.close();
    }
  });

  it('sets WAL, NORMAL sync, a busy timeout and foreign keys', () => {
    const database = openDatabase(path.join(temporaryDirectory(), 'switchyard.db'));
    try {
      expect(database.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(database.sqlite.pragma('synchronous', { simple: true })).toBe(1);
      expect(database.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(database.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      database.close();
    }
  });

  it('reopens an existing database without re-applying migrations or losing rows', () => {
    const file = path.join(temporaryDirectory(), 'switchyard.db');
    const first = openDatabase(file);
    createProfileRepository(first).insertCompletions([minimalProfile()]);
    first.close();
    first.close(); // closing twice is harmless

    const second = openDatabase(file);
    try {
      expect(createProfileRepository(second).countCompletions()).toBe(1);
      const applied = second.sqlite.prepare('select count(*) as n from __drizzle_migrations').get() as {
        n: number;
      };
      expect(applied.n).toBe(1);
    } finally {
      second.close();
    }
  });

  it('supports :memory: for tests', () => {
    const database = openDatabase(':memory:');
    try {
      expect(createProfileRepository(database).countCompletions()).toBe(0);
    } finally {
      database.close();
    }
  });

  it('says to set SWITCHYARD_DB when the path cannot be created', () => {
    const directory = temporaryDirectory();
    const blocker = path.join(directory, 'a-file');
    fs.writeFileSync(blocker, 'not a directory');
    expect(() => openDatabase(path.join(blocker, 'switchyard.db'))).toThrow(/set SWITCHYARD_DB/);
  });

  it('says to move a damaged file aside', () => {
    const file = path.join(temporaryDirectory(), 'switchyard.db');
    fs.writeFileSync(file, 'this is not a sqlite database, just some text that is long enough '.repeat(20));
    expect(() => openDatabase(file)).toThrow(/damaged.*move the file aside/);
  });
});
