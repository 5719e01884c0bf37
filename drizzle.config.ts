/**
 * @module drizzle.config
 * drizzle-kit's configuration: `npm run db:generate` turns `src/db/schema.ts` into the SQL migrations
 * in `drizzle/`, which are committed and applied by `openDatabase()` at start-up.
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
