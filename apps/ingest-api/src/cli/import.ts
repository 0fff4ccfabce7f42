import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

/**
 * `pnpm run import <file> [--org ID] [--mapping auto|FILE] [--commit] [--campaign ID] [--url URL] [--token JWT]`:
 * uploads a CSV or XLSX file to the API with a progress bar, follows validation and commit, and prints the
 * outcome and where the rejected rows are. It speaks HTTP to the API and nothing else.
 */

const HELP = `Usage: pnpm run import <file> [options]   (pnpm import alone is pnpm's own lockfile command)

Uploads a CSV or XLSX file to ProspectFlow, then follows its validation and commit.

Options:
  --org ID          organisation to import into (default: your active organisation)
  --mapping M       auto (the suggested mapping) or a JSON file of header -> field
  --commit          commit after validation (without it the import stops once validated)
  --campaign ID     enrol the imported people in this campaign
  --sheet NAME      XLSX: the sheet to read (default: the first)
  --url URL         the API (default: $PROSPECTFLOW_URL or http://127.0.0.1:3000)
  --token JWT       a bearer token (default: $PROSPECTFLOW_TOKEN, else a dev token of npm start's local issuer)
  -h, --help        this help

Exit codes: 0 done, 1 the import failed or was refused, 2 bad usage, 3 the API could not be reached.`;

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface ImportView {
  id: string;
  status: string;
  rowsTotal: number;
  encoding: string | null;
  delimiter: string | null;
  headers: string[];
  suggestedMapping: { columns: { header: string; field: string | null; confidence: number }[] } | null;
  counts: Record<string, number>;
  progress: {
    job: string;
    state: string;
    rowsDone: number;
    rowsTotal: number;
    rowsPerSecond: number | null;
  } | null;
  error: string | null;
}

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function bar(done: number, total: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%`;
}

const tty = process.stderr.isTTY;
function status(line: string, final = false): void {
  if (tty) process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
  else if (final) process.stderr.write(`${line}\n`);
}

async function defaultToken(): Promise<string> {
  const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
  const data = path.join(repoRoot, '.data');
  if (!existsSync(path.join(data, 'dev-keys'))) {
    throw new CliError(
      'No token: give --token or PROSPECTFLOW_TOKEN (or run npm start once for dev keys).',
      2,
    );
  }
  const { devToken, localIssuer } = await import('../dev/local-keys.js');
  const { issuer } = await localIssuer(data);
  return devToken(issuer, process.env['DEV_EMAIL'] ?? 'dev@prospectflow.local');
}

async function api(
  base: string,
  token: string,
  org: string | null,
  method: string,
  pathname: string,
  init: { body?: unknown; headers?: Record<string, string>; duplex?: 'half' } = {},
): Promise<ImportView> {
  let response: Response;
  try {
    response = await fetch(new URL(pathname, base), {
      method,
      ...init,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(org ? { 'X-Organisation-Id': org } : {}),
        ...(init.body && !init.headers?.['Content-Type'] ? { 'Content-Type': 'application/json' } : {}),
        ...init.headers,
      },
    } as RequestInit);
  } catch (error) {
    throw new CliError(`Cannot reach the API at ${base}: ${(error as Error).message}`, 3);
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) {
    const errors = Array.isArray(body['errors'])
      ? `\n${(body['errors'] as { path: string; message: string }[]).map((e) => `  - ${e.path}: ${e.message}`).join('\n')}`
      : '';
    // A new user's first import (`npm start`, a dev token) has no organisation yet: say how to get one.
    const hint =
      body['code'] === 'no_organisation'
        ? `\nCreate one first: curl -X POST ${new URL('/api/v1/organisations', base).href} ` +
          `-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"My team"}'` +
          ', or name one you belong to with --org ID.'
        : '';
    throw new CliError(
      `${response.status} ${String(body['title'] ?? '')}: ${String(body['detail'] ?? text)}${errors}${hint}`,
      1,
    );
  }
  return body as unknown as ImportView;
}

async function follow(
  base: string,
  token: string,
  org: string | null,
  id: string,
  until: string[],
): Promise<ImportView> {
  for (;;) {
    const view = await api(base, token, org, 'GET', `/api/v1/imports/${id}`);
    if (view.progress) {
      const { job, rowsDone, rowsTotal, rowsPerSecond } = view.progress;
      status(
        `${job.padEnd(8)} ${bar(rowsDone, rowsTotal)} ${rowsDone}/${rowsTotal} rows${rowsPerSecond ? `, ${rowsPerSecond} rows/s` : ''}`,
      );
    }
    if (until.includes(view.status) || view.status === 'failed' || view.status === 'cancelled') {
      if (view.progress) status(`${view.progress.job.padEnd(8)} ${bar(1, 1)} ${view.status}`, true);
      return view;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      org: { type: 'string' },
      mapping: { type: 'string' },
      commit: { type: 'boolean', default: false },
      campaign: { type: 'string' },
      sheet: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new CliError(`Give exactly one file.\n\n${HELP}`, 2);
  if (!existsSync(file)) throw new CliError(`No such file: ${file}`, 2);
  const base = values.url ?? process.env['PROSPECTFLOW_URL'] ?? 'http://127.0.0.1:3000';
  const token = values.token ?? process.env['PROSPECTFLOW_TOKEN'] ?? (await defaultToken());
  const org = values.org ?? null;
  const mapping =
    values.mapping === undefined || values.mapping === 'auto'
      ? (values.mapping ?? null)
      : JSON.stringify(JSON.parse(readFileSync(values.mapping, 'utf8')) as unknown);

  const size = statSync(file).size;
  let sent = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      status(`upload   ${bar(sent, size)} ${(sent / 1048576).toFixed(1)}/${(size / 1048576).toFixed(1)} MB`);
      callback(null, chunk);
    },
  });
  const query = new URLSearchParams();
  if (mapping) query.set('mapping', mapping);
  if (mapping && values.commit) query.set('commit', 'true');
  if (values.campaign) query.set('campaignId', values.campaign);
  if (values.sheet) query.set('sheet', values.sheet);
  const isXlsx = /\.xlsx$/i.test(file);
  const uploaded = await api(base, token, org, 'POST', `/api/v1/imports?${query.toString()}`, {
    body: createReadStream(file).pipe(meter),
    duplex: 'half',
    headers: {
      'Content-Type': isXlsx ? XLSX : 'text/csv',
      'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(path.basename(file))}`,
    },
  });
  status(`upload   ${bar(1, 1)} ${uploaded.rowsTotal} rows`, true);
  process.stderr.write(
    `import ${uploaded.id}: ${uploaded.rowsTotal} rows, ${uploaded.encoding ?? 'xlsx'}${uploaded.delimiter ? `, delimiter ${JSON.stringify(uploaded.delimiter)}` : ''}\n`,
  );
  for (const column of uploaded.suggestedMapping?.columns ?? []) {
    process.stderr.write(
      `  ${column.header.padEnd(28)} -> ${column.field ?? '(skipped)'} (${Math.round(column.confidence * 100)}%)\n`,
    );
  }
  let view = uploaded;
  if (!mapping) {
    process.stdout.write(
      `Uploaded; confirm a mapping with --mapping auto or PUT /api/v1/imports/${uploaded.id}/mapping\n`,
    );
    return 0;
  }
  view = await follow(base, token, org, uploaded.id, values.commit ? ['committed'] : ['validated']);
  if (view.status === 'validated' && values.commit) {
    view = await follow(base, token, org, uploaded.id, ['committed']);
  }
  const c = view.counts;
  process.stdout.write(
    `${view.status}: ${c['valid']} valid, ${c['invalid']} invalid, ${c['duplicates']} duplicates in the file, ` +
      `${c['existing']} already in the CRM, ${c['warnings']} with warnings` +
      (view.status === 'committed'
        ? `; created ${c['created']}, updated ${c['updated']}, unchanged ${c['unchanged']}, rejected ${c['rejected']}` +
          (c['enrolled'] ? `, enrolled ${c['enrolled']}` : '')
        : '') +
      '\n',
  );
  if (c['invalid'] || c['warnings'] || c['duplicates']) {
    process.stdout.write(
      `Rejected rows and warnings: ${new URL(`/api/v1/imports/${view.id}/errors?delimiter=;`, base)}\n`,
    );
  }
  if (view.status === 'failed' || view.status === 'cancelled') {
    process.stderr.write(`The import ${view.status}: ${view.error ?? ''}\n`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    status('', false);
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof CliError ? error.exitCode : 1);
  },
);
