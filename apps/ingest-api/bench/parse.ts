// Parsing benchmark (issue 9 §7, ADR 0060): rows/s and peak RSS of openTable on a 1,000,000-row French Excel
// CSV (Windows-1252, `;`) made by a generator as it is read, and on a 100,000-row XLSX written by exceljs.
// Each case runs in its own process, so that its peak RSS is its own.
// Run: pnpm --filter @prospectflow/ingest-api exec tsx bench/parse.ts [-- --help]
import { fork } from 'node:child_process';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import ExcelJS from 'exceljs';
import { openTable } from '../src/components/imports/parse/table-reader.js';
import { frenchCsv, prospectWorkbook } from './parse-data.js';

const HELP = `Usage: pnpm --filter @prospectflow/ingest-api exec tsx bench/parse.ts [options]

  --csv-rows N      rows of the CSV case (default 1000000)
  --xlsx-rows N     rows of the XLSX case (default 100000)
  --compare         also read the same XLSX with exceljs's streaming WorkbookReader
  --help            this text

Prints, per case: rows, wall seconds, rows/s, CPU seconds of the process (user + system, zlib's threads
included: the fairer figure when other processes share the cores), peak RSS (the process's maxRSS), RSS
before parsing, after 10% of the rows and after all of them (a flat memory shows as the last two being close).
The CSV case also times the generator alone. The workbook is written once by exceljs's streaming writer to a
temporary file, which each XLSX case streams in 64 KiB chunks as an upload would arrive.`;

const limits = {
  maxCells: 50_000_000,
  maxUncompressedBytes: 2 * 1024 * 1024 * 1024,
  maxColumns: 500,
  maxCellChars: 32_767,
};

interface Result {
  case: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  cpuSeconds: number;
  peakRssMb: number;
  rssBeforeMb: number;
  rssAtTenthMb: number;
  rssAtEndMb: number;
  note?: string;
}

function lineBreaks(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count += 1;
  return count;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function measure(
  name: string,
  rowsExpected: number,
  run: (onRows: (n: number) => void) => Promise<number>,
  note?: string,
): Promise<Result> {
  let seen = 0;
  let rssAtTenth = 0;
  const rssBefore = process.memoryUsage.rss();
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const rows = await run((n) => {
    seen += n;
    if (rssAtTenth === 0 && seen >= rowsExpected / 10) rssAtTenth = process.memoryUsage.rss();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    case: name,
    rows,
    seconds: Number(seconds.toFixed(2)),
    rowsPerSecond: Math.round(rows / seconds),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    rssBeforeMb: mb(rssBefore),
    rssAtTenthMb: mb(rssAtTenth),
    rssAtEndMb: mb(process.memoryUsage.rss()),
    ...(note === undefined ? {} : { note }),
  };
}

const workbookPath = path.join(os.tmpdir(), `prospectflow-bench-parse-${process.ppid}.xlsx`);

async function runCase(which: string, csvRows: number, xlsxRows: number): Promise<Result> {
  switch (which) {
    case 'xlsx-write': {
      const started = Date.now();
      await pipeline(async function* () {
        yield await prospectWorkbook(xlsxRows);
      }, createWriteStream(workbookPath));
      return {
        case: `writing the workbook (exceljs)`,
        rows: xlsxRows,
        seconds: (Date.now() - started) / 1000,
        rowsPerSecond: 0,
        cpuSeconds: 0,
        peakRssMb: 0,
        rssBeforeMb: 0,
        rssAtTenthMb: 0,
        rssAtEndMb: 0,
      };
    }
    case 'csv-generator':
      return measure(`generator alone, ${csvRows} rows`, csvRows, async (onRows) => {
        for await (const chunk of frenchCsv(csvRows)) onRows(lineBreaks(chunk));
        return csvRows;
      });
    case 'csv':
      return measure(
        `CSV Windows-1252 ';', ${csvRows} rows (generated while read)`,
        csvRows,
        async (onRows) => {
          const table = await openTable(frenchCsv(csvRows), { limits });
          if (table.info.encoding !== 'windows-1252' || table.info.delimiter !== ';')
            throw new Error('detection failed');
          let rows = 0;
          for await (const batch of table.rows) {
            rows += batch.length;
            onRows(batch.length);
          }
          return rows;
        },
      );
    case 'xlsx': {
      return measure(`XLSX (written by exceljs), ${xlsxRows} rows`, xlsxRows, async (onRows) => {
        const table = await openTable(createReadStream(workbookPath, { highWaterMark: 64 * 1024 }), {
          limits,
        });
        let rows = 0;
        for await (const batch of table.rows) {
          rows += batch.length;
          onRows(batch.length);
        }
        return rows;
      });
    }
    case 'xlsx-exceljs': {
      return measure(
        `same XLSX, exceljs WorkbookReader`,
        xlsxRows,
        async (onRows) => {
          const reader = new ExcelJS.stream.xlsx.WorkbookReader(
            createReadStream(workbookPath, { highWaterMark: 64 * 1024 }),
            {
              sharedStrings: 'cache',
              styles: 'cache',
              hyperlinks: 'ignore',
              worksheets: 'emit',
            },
          );
          let rows = 0;
          for await (const sheet of reader) {
            for await (const _row of sheet) {
              rows += 1;
              if (rows % 1000 === 0) onRows(1000);
            }
          }
          return rows - 1;
        },
        'writes the sheet to a temporary file when it comes before the shared strings',
      );
    }
    default:
      throw new Error(`unknown case ${which}`);
  }
}

function runInChild(which: string, csvRows: number, xlsxRows: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(
      process.argv[1] as string,
      ['--child', which, '--csv-rows', String(csvRows), '--xlsx-rows', String(xlsxRows)],
      {
        execArgv: process.execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    child.once('message', (message) => resolve(message as Result));
    child.once('exit', (code) =>
      code === 0 ? undefined : reject(new Error(`case ${which} exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'csv-rows': { type: 'string', default: '1000000' },
      'xlsx-rows': { type: 'string', default: '100000' },
      compare: { type: 'boolean', default: false },
      child: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const csvRows = Number(values['csv-rows']);
  const xlsxRows = Number(values['xlsx-rows']);
  if (values.child !== undefined) {
    const result = await runCase(values.child, csvRows, xlsxRows);
    process.send?.(result);
    return;
  }
  const cpus = os.cpus();
  console.log(`date: ${new Date().toISOString()}`);
  console.log(`machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, Node ${process.versions.node}`);
  console.log(
    `load average at start: ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')} (other processes share these cores)`,
  );
  const cases = ['csv-generator', 'csv', 'xlsx-write', 'xlsx', ...(values.compare ? ['xlsx-exceljs'] : [])];
  try {
    for (const which of cases) {
      const result = await runInChild(which, csvRows, xlsxRows);
      if (which === 'xlsx-write') {
        console.log(`${result.case}: ${result.seconds} s`);
        continue;
      }
      console.log(
        `${result.case}: ${result.rows} rows in ${result.seconds} s = ${result.rowsPerSecond} rows/s, ` +
          `${result.cpuSeconds} CPU s (${Math.round(result.rows / result.cpuSeconds)} rows per CPU second); ` +
          `peak RSS ${result.peakRssMb} MB (RSS ${result.rssBeforeMb} MB before, ${result.rssAtTenthMb} MB at 10%, ` +
          `${result.rssAtEndMb} MB at the end)` +
          (result.note === undefined ? '' : ` [${result.note}]`),
      );
    }
  } finally {
    rmSync(path.join(os.tmpdir(), `prospectflow-bench-parse-${process.pid}.xlsx`), { force: true });
  }
}

await main();
