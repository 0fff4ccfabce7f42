import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  buildXlsx,
  cell,
  deflateBomb,
  row,
  styles,
  workbookParts,
  zipParts,
  type WorkbookSpec,
} from '../../../../test/fixtures/imports/workbooks.js';
import { ImportFileError } from './import-file-error.js';
import { openTable, type OpenTableOptions, type ParsedRow } from './table-reader.js';
import { columnIndex, MAX_INFLATE_RATIO, RATIO_FLOOR_BYTES } from './xlsx-reader.js';

const limits = {
  maxCells: 1_000_000,
  maxUncompressedBytes: 512 * 1024 * 1024,
  maxColumns: 50,
  maxCellChars: 1_000,
};

function chunked(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

async function readXlsx(bytes: Buffer, options: Partial<OpenTableOptions> = {}, chunkSize = 1000) {
  const table = await openTable(Readable.from(chunked(bytes, chunkSize)), { limits, ...options });
  const rows: ParsedRow[] = [];
  for await (const batch of table.rows) rows.push(...batch);
  return { info: table.info, rows };
}

async function refusal(promise: Promise<unknown>): Promise<ImportFileError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ImportFileError);
  return error as ImportFileError;
}

/**
 * Prospects with a formula, dates and identifiers whose zeros matter. Styles: 0 General, 1 dd/mm/yyyy,
 * 2 `00000` (postcode), 3 text `@`, 4 date and time, 5 `0# ## ## ## ##` (French phone), 6 `#,##0.00 €`.
 */
const prospects = (
  order: WorkbookSpec['order'],
  zip: WorkbookSpec['zip'],
  date1904 = false,
): WorkbookSpec => ({
  order,
  zip,
  date1904,
  styles: styles(
    [
      [164, 'dd/mm/yyyy'],
      [165, '00000'],
      [166, 'dd/mm/yyyy hh:mm'],
      [167, '0# ## ## ## ##'],
      [168, '#,##0.00 "€"'],
    ],
    [0, 164, 165, 49, 166, 167, 168],
  ),
  sharedStrings: [
    'SIREN',
    'Raison sociale',
    'Code postal',
    'Créé le',
    'Téléphone',
    'CA',
    'Total',
    'Société Générale',
  ],
  sheets: [
    {
      name: 'Prospects',
      rows:
        row(1, ...['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((col, i) => cell.shared(`${col}1`, i))) +
        row(
          2,
          cell.number('A2', 552032534),
          cell.shared('B2', 7),
          cell.number('C2', 6000, 2),
          cell.number('D2', date1904 ? 43_653 : 45_115, 1),
          cell.number('E2', 612345678, 5),
          cell.number('F2', 1234567.5, 6),
          cell.formulaNumber('G2', 'F2*2', 2469135, 0),
        ) +
        row(
          3,
          cell.number('A3', '3.56000000E+8'),
          cell.inline('B3', 'L’Atelier & Cie'),
          cell.number('C3', 75001, 3),
          cell.number('D3', date1904 ? 43_653.75 : 45_115.75, 4),
          cell.formulaString('E3', 'TEXT(1,"0")', '01 23 45 67 89'),
          cell.bool('F3', true),
          cell.error('G3', '#N/A'),
        ),
    },
  ],
});

const expectedRows: ParsedRow[] = [
  {
    rowNumber: 2,
    cells: ['552032534', 'Société Générale', '06000', '2023-07-08', '06 12 34 56 78', '1234567.5', '2469135'],
    cellCount: 7,
  },
  {
    rowNumber: 3,
    cells: ['356000000', 'L’Atelier & Cie', '75001', '2023-07-08T18:00:00', '01 23 45 67 89', 'TRUE', '#N/A'],
    cellCount: 7,
  },
];

describe('openTable on XLSX workbooks', () => {
  for (const order of ['excel', 'parts-first'] as const) {
    for (const zip of ['descriptor', 'sizes'] as const) {
      it(`reads cached formula values, dates and identifiers (${order} order, ${zip} in the zip)`, async () => {
        const { info, rows } = await readXlsx(buildXlsx(prospects(order, zip)));
        expect(info).toEqual({
          format: 'xlsx',
          encoding: null,
          delimiter: null,
          sheet: 'Prospects',
          headers: ['SIREN', 'Raison sociale', 'Code postal', 'Créé le', 'Téléphone', 'CA', 'Total'],
        });
        expect(rows).toEqual(expectedRows);
      });
    }
  }

  it('reads dates of the 1904 date system', async () => {
    const { rows } = await readXlsx(buildXlsx(prospects('excel', 'descriptor', true)));
    expect(rows.map((r) => r.cells[3])).toEqual(['2023-07-08', '2023-07-08T18:00:00']);
  });

  it('gives the same answer whatever the chunk sizes', async () => {
    const bytes = buildXlsx(prospects('excel', 'descriptor'));
    for (const size of [1, 13, 4096, bytes.length]) {
      expect((await readXlsx(bytes, {}, size)).rows).toEqual(expectedRows);
    }
  });

  it('parses a sheet that comes after its shared strings as it streams, and holds one that comes before', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) =>
      row(i + 2, cell.shared(`A${i + 2}`, i % 50), cell.number(`B${i + 2}`, i * 7919)),
    ).join('');
    const spec = (order: WorkbookSpec['order']): WorkbookSpec => ({
      order,
      sharedStrings: Array.from({ length: 50 }, (_, i) => `text ${i}`),
      sheets: [{ name: 'S', rows: row(1, cell.shared('A1', 0), cell.shared('B1', 1)) + rows }],
    });
    const pulledAtFirstBatch = async (bytes: Buffer) => {
      let pulled = 0;
      const total = Math.ceil(bytes.length / 1024);
      async function* source(): AsyncGenerator<Buffer> {
        for (let i = 0; i < bytes.length; i += 1024) {
          pulled += 1;
          yield bytes.subarray(i, i + 1024);
        }
      }
      const table = await openTable(source(), { limits, batchRows: 100 });
      const iterator = table.rows[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.return?.(undefined);
      return { pulled, total };
    };
    // Opening reads the 64 KiB sniff window (64 chunks of 1 KiB here); the first rows need only a few more.
    const streamed = await pulledAtFirstBatch(buildXlsx(spec('parts-first')));
    expect(streamed.total).toBeGreaterThan(200);
    expect(streamed.pulled).toBeLessThan(64 + 10);
    // Excel's order: the shared strings come last, so the whole zip is read before the first row.
    const held = await pulledAtFirstBatch(buildXlsx(spec('excel')));
    expect(held.pulled).toBeGreaterThan(held.total - 2);
  });

  it('reads a workbook written by exceljs (data descriptors, shared strings after the sheet)', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Export');
    sheet.addRow(['companySiren', 'personEmail', 'Code postal', 'Date']);
    sheet.addRow([552032534, 'lea@example.fr', 6000, new Date(Date.UTC(2024, 0, 15))]);
    sheet.getCell('C2').numFmt = '00000';
    sheet.getCell('D2').numFmt = 'dd/mm/yyyy';
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const { info, rows } = await readXlsx(bytes);
    expect(info.headers).toEqual(['companySiren', 'personEmail', 'Code postal', 'Date']);
    expect(rows).toEqual([
      { rowNumber: 2, cells: ['552032534', 'lea@example.fr', '06000', '2024-01-15'], cellCount: 4 },
    ]);
  });

  it('takes the sheet row numbers, skips blank rows, pads gaps and reports the last filled column', async () => {
    const bytes = buildXlsx({
      sheets: [
        {
          name: 'S',
          rows:
            row(3, cell.inline('A3', 'a'), cell.inline('B3', 'b'), cell.inline('C3', 'c')) +
            row(5, cell.inline('C5', 'z')) +
            row(6, cell.number('A6', 1, 0), '<c r="B6" s="0"/>') +
            row(
              7,
              cell.inline('A7', '1'),
              cell.inline('B7', '2'),
              cell.inline('C7', '3'),
              cell.inline('E7', '5'),
            ) +
            '<row r="8"><c t="inlineStr"><is><t>no ref</t></is></c><c t="inlineStr"><is><t>second</t></is></c></row>',
        },
      ],
    });
    const { info, rows } = await readXlsx(bytes);
    expect(info.headers).toEqual(['a', 'b', 'c']);
    expect(rows).toEqual([
      { rowNumber: 5, cells: ['', '', 'z'], cellCount: 3 },
      { rowNumber: 6, cells: ['1', '', ''], cellCount: 1 },
      { rowNumber: 7, cells: ['1', '2', '3'], cellCount: 5 },
      { rowNumber: 8, cells: ['no ref', 'second', ''], cellCount: 2 },
    ]);
  });

  it('reads rich text and leaves phonetic runs out of shared strings', async () => {
    const sst =
      '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
      '<si><r><rPr><b/></rPr><t>Raison</t></r><r><t xml:space="preserve"> sociale</t></r></si>' +
      '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si></sst>';
    const bytes = buildXlsx({
      sharedStrings: sst,
      sheets: [{ name: 'S', rows: row(1, cell.shared('A1', 0)) + row(2, cell.shared('A2', 1)) }],
    });
    const { info, rows } = await readXlsx(bytes);
    expect(info.headers).toEqual(['Raison sociale']);
    expect(rows[0]?.cells).toEqual(['東京']);
  });

  it('reads the first visible sheet, or the one named (case and spaces forgiven)', async () => {
    const spec: WorkbookSpec = {
      sheets: [
        { name: 'Listes', hidden: true, rows: row(1, cell.inline('A1', 'hidden')) },
        { name: 'Prospects', rows: row(1, cell.inline('A1', 'first visible')) },
        { name: 'Mars 2024', rows: row(1, cell.inline('A1', 'march')) },
      ],
    };
    const bytes = buildXlsx(spec);
    expect((await readXlsx(bytes)).info).toMatchObject({ sheet: 'Prospects', headers: ['first visible'] });
    expect((await readXlsx(bytes, { sheet: 'Mars 2024' })).info.headers).toEqual(['march']);
    expect((await readXlsx(bytes, { sheet: ' mars 2024 ' })).info.sheet).toBe('Mars 2024');
    expect((await readXlsx(bytes, { sheet: 'Listes' })).info.headers).toEqual(['hidden']);
  });

  it('refuses a sheet the workbook does not have, listing those it has', async () => {
    const bytes = buildXlsx({ sheets: [{ name: 'Feuil1', rows: row(1, cell.inline('A1', 'x')) }] });
    const error = await refusal(readXlsx(bytes, { sheet: 'Feuil2' }));
    expect(error.code).toBe('unknown_sheet');
    expect(error.details.sheets).toEqual(['Feuil1']);
  });

  it('refuses an empty sheet and a header-only sheet gives no rows', async () => {
    expect((await refusal(readXlsx(buildXlsx({ sheets: [{ name: 'S', rows: '' }] })))).code).toBe(
      'no_header',
    );
    const headerOnly = await readXlsx(
      buildXlsx({ sheets: [{ name: 'S', rows: row(1, cell.inline('A1', 'Nom')) }] }),
    );
    expect(headerOnly).toMatchObject({ info: { headers: ['Nom'] }, rows: [] });
  });

  it('refuses a zip that is not a workbook, and OpenDocument or binary workbooks as unsupported', async () => {
    const docx = Buffer.from(zipSync({ 'word/document.xml': strToU8('<w:document/>') }));
    const ods = Buffer.from(zipSync({ mimetype: strToU8('application/vnd.oasis.opendocument.spreadsheet') }));
    const xlsb = Buffer.from(zipSync({ 'xl/workbook.bin': new Uint8Array([1, 2, 3]) }));
    expect((await refusal(readXlsx(docx))).code).toBe('binary_file');
    expect((await refusal(readXlsx(ods))).code).toBe('unsupported_format');
    expect((await refusal(readXlsx(xlsb))).code).toBe('unsupported_format');
  });

  it('refuses a truncated workbook, malformed XML and a shared string that does not exist', async () => {
    const whole = buildXlsx(prospects('parts-first', 'descriptor'));
    expect((await refusal(readXlsx(whole.subarray(0, Math.floor(whole.length * 0.8))))).code).toBe(
      'invalid_xlsx',
    );
    const malformed = buildXlsx({ sheets: [{ name: 'S', rows: '<row r="1"><c r="A1"><v>1</v></row>' }] });
    expect((await refusal(readXlsx(malformed))).code).toBe('invalid_xlsx');
    const dangling = buildXlsx({
      sharedStrings: ['a'],
      sheets: [{ name: 'S', rows: row(1, cell.shared('A1', 4)) }],
    });
    expect((await refusal(readXlsx(dangling))).code).toBe('invalid_xlsx');
  });
});

describe('openTable refuses hostile workbooks before they cost memory', () => {
  const leading = workbookParts({ sheets: [{ name: 'S', rows: '' }] }).filter(
    ([path]) => !path.includes('sheet1'),
  );
  const bombUnit = `<row r="2">${cell.inline('A2', 'aaaaaaaaaaaaaaaaaaaa')}</row>`;
  const bombs = new Map<number, Buffer>();
  // Writing 200 MB through deflate takes seconds: each size is made once for the file.
  const bomb = (inflatedBytes: number): Buffer => {
    let bytes = bombs.get(inflatedBytes);
    if (bytes === undefined) {
      bytes = deflateBomb(
        [
          {
            path: 'xl/worksheets/sheet1.xml',
            head: `<worksheet><sheetData>${row(1, cell.inline('A1', 'h'))}`,
            unit: bombUnit,
            tail: '</sheetData></worksheet>',
            inflatedBytes,
          },
        ],
        leading,
      );
      bombs.set(inflatedBytes, bytes);
    }
    return bytes;
  };

  it('refuses a sheet that inflates 200 MB from a few hundred KB (the ratio guard), early', async () => {
    const bytes = bomb(200 * 1024 * 1024);
    expect(bytes.length).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().rss;
    const error = await refusal(readXlsx(bytes, {}, 64 * 1024));
    expect(error.code).toBe('zip_bomb');
    expect(error.message).toMatch(/times its compressed size/);
    expect(process.memoryUsage().rss - before).toBeLessThan(150 * 1024 * 1024);
  });

  it('refuses once the inflated bytes pass maxUncompressedBytes, even at an ordinary ratio', async () => {
    const text = (n: number) =>
      Array.from({ length: n }, (_, i) => row(i + 1, cell.number(`A${i + 1}`, i * 7919))).join('');
    const bytes = buildXlsx({ sheets: [{ name: 'S', rows: text(20_000) }] });
    await expect(
      readXlsx(bytes, { limits: { ...limits, maxUncompressedBytes: 2_000_000 } }),
    ).resolves.toBeDefined();
    const error = await refusal(readXlsx(bytes, { limits: { ...limits, maxUncompressedBytes: 200_000 } }));
    expect(error.code).toBe('zip_bomb');
    expect(error.message).toMatch(/inflates past 200000 bytes/);
  });

  it('refuses an entry whose declared size passes maxUncompressedBytes without inflating it', async () => {
    const bytes = buildXlsx({
      zip: 'sizes',
      sheets: [{ name: 'S', rows: row(1, cell.inline('A1', 'x'.repeat(5000))) }],
    });
    const error = await refusal(readXlsx(bytes, { limits: { ...limits, maxUncompressedBytes: 4000 } }));
    expect(error.code).toBe('zip_bomb');
    expect(error.message).toMatch(/declares \d+ bytes/);
  });

  it('measures the ratio on the bytes fed to the unzipper, so a bomb sent as one chunk stops as early', async () => {
    const bytes = bomb(200 * 1024 * 1024);
    const error = await refusal(readXlsx(bytes, {}, bytes.length));
    expect(error.code).toBe('zip_bomb');
    expect(error.details.inflatedBytes).toBeGreaterThan(RATIO_FLOOR_BYTES);
    expect(error.details.inflatedBytes).toBeLessThan(RATIO_FLOOR_BYTES + 20 * 1024 * 1024);
    expect(MAX_INFLATE_RATIO).toBe(200);
  });

  it('refuses a DOCTYPE or ENTITY declaration in any part, split across chunks or not', async () => {
    const laughs =
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>';
    const inSheet = buildXlsx({
      sheets: [{ name: 'S', before: laughs, rows: row(1, cell.inline('A1', '&lol2;')) }],
    });
    const inStrings = buildXlsx({
      sharedStrings: `<?xml version="1.0"?>${laughs}<sst><si><t>&lol2;</t></si></sst>`,
      sheets: [{ name: 'S', rows: row(1, cell.shared('A1', 0)) }],
    });
    const entityOnly = buildXlsx({
      override: { 'xl/workbook.xml': '<?xml version="1.0"?><!ENTITY x "y"><workbook/>' },
      sheets: [{ name: 'S', rows: row(1, cell.inline('A1', 'x')) }],
    });
    for (const bytes of [inSheet, inStrings, entityOnly]) {
      for (const size of [1, 7, 100_000]) {
        expect((await refusal(readXlsx(bytes, {}, size))).code).toBe('xml_entities');
      }
    }
  });

  it('refuses more cells than maxCells, counted and as the sheet declares its dimension', async () => {
    const rows = Array.from({ length: 10 }, (_, i) =>
      row(i + 1, cell.number(`A${i + 1}`, i), cell.number(`B${i + 1}`, i)),
    );
    const counted = buildXlsx({ sheets: [{ name: 'S', rows: rows.join('') }] });
    await expect(readXlsx(counted, { limits: { ...limits, maxCells: 20 } })).resolves.toBeDefined();
    expect((await refusal(readXlsx(counted, { limits: { ...limits, maxCells: 19 } }))).code).toBe(
      'too_many_cells',
    );
    const declared = buildXlsx({
      sheets: [{ name: 'S', before: '<dimension ref="A1:Z1000000"/>', rows: row(1, cell.inline('A1', 'x')) }],
    });
    const error = await refusal(readXlsx(declared, { limits: { ...limits, maxCells: 1_000_000 } }));
    expect(error.code).toBe('too_many_cells');
  });

  it('refuses a value beyond maxColumns but ignores an empty styled cell there', async () => {
    const far = buildXlsx({
      sheets: [{ name: 'S', rows: row(1, cell.inline('A1', 'a'), cell.inline('XFD1', 'far')) }],
    });
    const error = await refusal(readXlsx(far));
    expect(error.code).toBe('too_many_columns');
    expect(error.details).toMatchObject({ rowNumber: 1, column: 16_384 });
    const styledOnly = buildXlsx({
      sheets: [{ name: 'S', rows: row(1, cell.inline('A1', 'a'), '<c r="XFD1" s="1"/>') }],
    });
    expect((await readXlsx(styledOnly)).info.headers).toEqual(['a']);
  });

  it('refuses a cell longer than maxCellChars, in the sheet and in the shared strings', async () => {
    const inline = buildXlsx({
      sheets: [
        { name: 'S', rows: row(1, cell.inline('A1', 'h')) + row(2, cell.inline('A2', 'x'.repeat(11))) },
      ],
    });
    const shared = buildXlsx({
      sharedStrings: ['x'.repeat(11)],
      sheets: [{ name: 'S', rows: row(1, cell.shared('A1', 0)) }],
    });
    const short = { ...limits, maxCellChars: 10 };
    const error = await refusal(readXlsx(inline, { limits: short }));
    expect(error).toMatchObject({ code: 'cell_too_long', details: { rowNumber: 2, column: 1 } });
    expect((await refusal(readXlsx(shared, { limits: short }))).code).toBe('cell_too_long');
  });

  it('releases the source when a workbook fails while rows are read', async () => {
    let finished = false;
    const rows = Array.from({ length: 3000 }, (_, i) => row(i + 1, cell.number(`A${i + 1}`, i))).join('');
    const bytes = buildXlsx({
      order: 'parts-first',
      sheets: [{ name: 'S', rows: `${rows}<row r="9999"><c r="A9999"><v>1</v></row` }],
    });
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield* chunked(bytes, 512);
      } finally {
        finished = true;
      }
    }
    const table = await openTable(source(), { limits, batchRows: 100 });
    await expect(
      (async () => {
        for await (const _ of table.rows);
      })(),
    ).rejects.toMatchObject({ code: 'invalid_xlsx' });
    expect(finished).toBe(true);
  });
});

describe('columnIndex', () => {
  it('reads column letters of a cell reference', () => {
    expect(['A1', 'Z9', 'AA10', 'XFD1048576', 'b2'].map(columnIndex)).toEqual([0, 25, 26, 16_383, 1]);
  });
});

describe('zipParts', () => {
  it('writes what it is given (a check of the fixture writer itself)', async () => {
    const bytes = zipParts([['a.txt', 'hello']], 'sizes');
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  });
});
