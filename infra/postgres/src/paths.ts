import { fileURLToPath } from 'node:url';

export const sqlDir = fileURLToPath(new URL('../sql', import.meta.url));
export const pgbouncerDir = fileURLToPath(new URL('../pgbouncer', import.meta.url));
