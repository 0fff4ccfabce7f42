// `npm start`: installs what is missing, then runs the API on the embedded default (embedded PostgreSQL,
// in-process sessions, local dev tokens), or on DATABASE_URL / REDIS_URL / Cognito settings when given.
import { ensureInstalled, pnpm } from './bootstrap.mjs';

ensureInstalled();
process.exit(
  pnpm(['--filter', '@prospectflow/ingest-api', 'exec', 'tsx', 'src/dev/run.ts'], { stdio: 'inherit' }),
);
