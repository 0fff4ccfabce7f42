import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ImportFileError } from './import-file-error.js';
import { openTable, type OpenTableOptions, type ParsedRow } from './table-reader.js';

const limits = {
  maxCells: 1_000_000,
  maxUncompressedBytes: 100 * 1024 * 1024,
  maxColumns: 50,
  maxCellChars: 1_000,
};

function chunked(bytes: Buffer, size = 7): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

async function readAll(bytes: Buffer | Buffer[], options: Partial<OpenTableOptions> = {}) {
  const table = await openTable(Readable.from(Array.isArray(bytes) ? bytes : [bytes]), {
    limits,
    ...options,
  });
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

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) =>
  Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);

describe('openTable on CSV files as people save them', () => {
  it('reads a Windows-1252 ";" file as French Excel saves it, with € œ ’ é right', async () => {
    const text =
      'Raison sociale;Prénom;Nom;Chiffre d’affaires;Ville\r\n' +
      'Œuvres Sociales SA;Léa;Dupré;1 200 €;Besançon\r\n' +
      'L’Atelier du cœur;Zoé;N’Diaye;35 000 €;Orléans\r\n';
    const { info, rows } = await readAll(chunked(iconv.encode(text, 'windows-1252'), 16));
    expect(info).toEqual({
      format: 'csv',
      encoding: 'windows-1252',
      delimiter: ';',
      sheet: null,
      headers: ['Raison sociale', 'Prénom', 'Nom', 'Chiffre d’affaires', 'Ville'],
    });
    expect(rows).toEqual([
      { rowNumber: 2, cells: ['Œuvres Sociales SA', 'Léa', 'Dupré', '1 200 €', 'Besançon'], cellCount: 5 },
      { rowNumber: 3, cells: ['L’Atelier du cœur', 'Zoé', 'N’Diaye', '35 000 €', 'Orléans'], cellCount: 5 },
    ]);
  });

  it('reads UTF-8 with and without a byte order mark alike, whatever the chunk boundaries', async () => {
    const text = 'Société,E-mail\nCafé Noël,noel@example.fr\n';
    const plain = await readAll(chunked(Buffer.from(text), 3));
    const withBom = await readAll(
      chunked(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 2),
    );
    expect(plain.info.encoding).toBe('utf-8');
    expect(withBom.info.encoding).toBe('utf-8-bom');
    for (const { info, rows } of [plain, withBom]) {
      expect(info.headers).toEqual(['Société', 'E-mail']);
      expect(info.delimiter).toBe(',');
      expect(rows).toEqual([{ rowNumber: 2, cells: ['Café Noël', 'noel@example.fr'], cellCount: 2 }]);
    }
  });

  it('reads UTF-16 LE and BE tab-separated text with a byte order mark (Excel "Unicode text")', async () => {
    const text = 'Nom\tVille\r\nCœur\tSaint-Étienne\r\nemoji 🚀\tx\r\n';
    for (const [bytes, encoding] of [
      [utf16le(text), 'utf-16le'],
      [utf16be(text), 'utf-16be'],
    ] as const) {
      // Odd chunk sizes split code units and the surrogate pair of the emoji.
      const { info, rows } = await readAll(chunked(bytes, 5));
      expect(info.encoding).toBe(encoding);
      expect(info.delimiter).toBe('\t');
      expect(info.headers).toEqual(['Nom', 'Ville']);
      expect(rows.map((row) => row.cells)).toEqual([
        ['Cœur', 'Saint-Étienne'],
        ['emoji 🚀', 'x'],
      ]);
    }
  });

  it('reads quoted fields holding ";", "" and line breaks, and counts records, not lines', async () => {
    const text =
      'Nom;Adresse;Note\r\n' +
      '"Dupont; fils";"12, rue de la Paix\r\n75002 Paris";"Il a dit ""oui"""\r\n' +
      'Martin;"3, place X";ok\r\n';
    const { info, rows } = await readAll(Buffer.from(text));
    expect(info.delimiter).toBe(';');
    expect(rows).toEqual([
      {
        rowNumber: 2,
        cells: ['Dupont; fils', '12, rue de la Paix\r\n75002 Paris', 'Il a dit "oui"'],
        cellCount: 3,
      },
      { rowNumber: 3, cells: ['Martin', '3, place X', 'ok'], cellCount: 3 },
    ]);
  });

  it('detects ";" when quoted fields are full of commas', async () => {
    const text = 'a;b;c\n"1,5";"x, y, z";"p,q"\n"2,5";"u, v";w\n';
    expect((await readAll(Buffer.from(text))).info.delimiter).toBe(';');
  });

  it('detects "|"', async () => {
    const { info, rows } = await readAll(Buffer.from('a|b\n1|2\n'));
    expect(info.delimiter).toBe('|');
    expect(rows[0]?.cells).toEqual(['1', '2']);
  });

  it('keeps a stray quote inside an unquoted field, and a field with text after its closing quote, as written', async () => {
    const { rows } = await readAll(Buffer.from('Produit;Taille\nÉcran 27";ok\n"Dupont "Jr"";x\n'));
    expect(rows.map((row) => row.cells)).toEqual([
      ['Écran 27"', 'ok'],
      ['"Dupont "Jr""', 'x'],
    ]);
  });

  it('gives ragged rows their cells padded or cut to the header, with the count the file had', async () => {
    const { rows } = await readAll(Buffer.from('a,b,c\n1,2\n1,2,3,4\n1,2,3\n'));
    expect(rows).toEqual([
      { rowNumber: 2, cells: ['1', '2', ''], cellCount: 2 },
      { rowNumber: 3, cells: ['1', '2', '3'], cellCount: 4 },
      { rowNumber: 4, cells: ['1', '2', '3'], cellCount: 3 },
    ]);
  });

  it('leaves blank records and trailing empty lines out but counts them in row numbers', async () => {
    const { info, rows } = await readAll(Buffer.from('\r\n;;\r\nA;B\r\n1;2\r\n\r\n ; \r\n3;4\r\n\r\n\r\n'));
    expect(info.headers).toEqual(['A', 'B']);
    expect(rows).toEqual([
      { rowNumber: 4, cells: ['1', '2'], cellCount: 2 },
      { rowNumber: 7, cells: ['3', '4'], cellCount: 2 },
    ]);
  });

  it('trims header cells and keeps data cells as written', async () => {
    const { info, rows } = await readAll(Buffer.from(' Nom ; Ville \n  Dupont ;Paris  \n'));
    expect(info.headers).toEqual(['Nom', 'Ville']);
    expect(rows[0]?.cells).toEqual(['  Dupont ', 'Paris  ']);
  });

  it('reads a header-only file as a table with no rows, with or without a final line break', async () => {
    for (const text of ['Nom;Ville\r\n', 'Nom;Ville']) {
      const { info, rows } = await readAll(Buffer.from(text));
      expect(info.headers).toEqual(['Nom', 'Ville']);
      expect(rows).toEqual([]);
    }
  });

  it('refuses an empty file, and one that is only a byte order mark', async () => {
    expect((await refusal(readAll(Buffer.alloc(0)))).code).toBe('empty_file');
    expect((await refusal(readAll(Buffer.from([0xef, 0xbb, 0xbf])))).code).toBe('empty_file');
    expect((await refusal(readAll([]))).code).toBe('empty_file');
  });

  it('refuses a file of blank records as having no header', async () => {
    expect((await refusal(readAll(Buffer.from('\r\n\r\n  \r\n;;;\r\n')))).code).toBe('no_header');
  });

  it('refuses binary garbage, a PDF, an image and a UTF-16 file without a byte order mark', async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const cases: [Buffer, string][] = [
      [garbage, 'binary_file'],
      [Buffer.from('%PDF-1.7\n1 0 obj\n'), 'binary_file'],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'binary_file'],
      [Buffer.from('Nom;Ville\r\n', 'utf16le'), 'binary_file'],
      [Buffer.from(`${'Nom;Ville\r\n'.repeat(500)}\u0000`), 'binary_file'],
      [Buffer.from('a,b\n\u0001\u0002\u0003\u0004,\u0005\u0006\u0007\u0008\n'), 'binary_file'],
      [Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'unsupported_format'],
    ];
    for (const [bytes, code] of cases) expect((await refusal(readAll(bytes))).code).toBe(code);
  });

  it('refuses text given with format "xlsx"', async () => {
    expect((await refusal(readAll(Buffer.from('a,b\n1,2\n'), { format: 'xlsx' }))).code).toBe(
      'unsupported_format',
    );
  });

  it('switches to Windows-1252 when the first non-ASCII byte comes after the sniff window', async () => {
    const filler = 'x,y\n'.repeat(20_000);
    const bytes = iconv.encode(`Nom,Ville\n${filler}Société Générale,Besançon\n`, 'windows-1252');
    const table = await openTable(Readable.from(chunked(bytes, 4096)), { limits });
    expect(table.info.encoding).toBe('utf-8');
    const rows: ParsedRow[] = [];
    for await (const batch of table.rows) rows.push(...batch);
    expect(rows.at(-1)?.cells).toEqual(['Société Générale', 'Besançon']);
    expect(table.info.encoding).toBe('windows-1252');
  });

  it('keeps UTF-8 when the first non-ASCII byte comes late and is UTF-8', async () => {
    const bytes = Buffer.from(`Nom,Ville\n${'x,y\n'.repeat(20_000)}Société Générale,Besançon\n`);
    const { info, rows } = await readAll(chunked(bytes, 4096));
    expect(rows.at(-1)?.cells).toEqual(['Société Générale', 'Besançon']);
    expect(info.encoding).toBe('utf-8');
  });
});

describe('openTable limits on CSV', () => {
  it('refuses a row wider than maxColumns, the header included', async () => {
    const narrow = { ...limits, maxColumns: 3 };
    const wide = await refusal(readAll(Buffer.from('a,b,c\n1,2,3,4\n'), { limits: narrow }));
    expect(wide.code).toBe('too_many_columns');
    expect(wide.details).toMatchObject({ rowNumber: 2, limit: 3 });
    expect((await refusal(readAll(Buffer.from('a,b,c,d\n'), { limits: narrow }))).code).toBe(
      'too_many_columns',
    );
    await expect(readAll(Buffer.from('a,b,c\n1,2,3\n'), { limits: narrow })).resolves.toBeDefined();
  });

  it('refuses more than maxCells cells', async () => {
    const small = { ...limits, maxCells: 6 };
    await expect(readAll(Buffer.from('a,b\n1,2\n3,4\n'), { limits: small })).resolves.toBeDefined();
    const error = await refusal(readAll(Buffer.from('a,b\n1,2\n3,4\n5,6\n'), { limits: small }));
    expect(error.code).toBe('too_many_cells');
    expect(error.details.rowNumber).toBe(4);
  });

  it('refuses a cell longer than maxCellChars, naming the row and column', async () => {
    const short = { ...limits, maxCellChars: 5 };
    await expect(readAll(Buffer.from('a,b\n12345,é\n'), { limits: short })).resolves.toBeDefined();
    const error = await refusal(readAll(Buffer.from('a,b\n1,123456\n'), { limits: short }));
    expect(error.code).toBe('cell_too_long');
    expect(error.details).toMatchObject({ rowNumber: 2, column: 2 });
  });

  it('stops a quote that is never closed at the record size limit, before the rest of the file', async () => {
    const tight = { ...limits, maxColumns: 2, maxCellChars: 10 };
    let produced = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('a,b\n1,"never closed\n');
      for (;;) {
        produced += 1;
        yield Buffer.from('more text\n'.repeat(100));
      }
    }
    const table = await openTable(endless(), { limits: tight });
    const atOpen = produced;
    const error = await refusal(
      (async () => {
        for await (const _ of table.rows);
      })(),
    );
    expect(error.code).toBe('cell_too_long');
    // The limit is 2 × 10 characters × 4 bytes: one more chunk of 1,000 bytes passes it.
    expect(produced - atOpen).toBeLessThan(3);
  });

  it('refuses a quote still open at the end of the file', async () => {
    const error = await refusal(readAll(Buffer.from('a,b\n1,2\n3,"open\n4,5\n')));
    expect(error.code).toBe('invalid_csv');
    expect(error.details.rowNumber).toBe(3);
  });

  it('checks its options once, as a programming error', async () => {
    await expect(openTable(Readable.from([Buffer.from('a')]), { limits, batchRows: 0 })).rejects.toThrow(
      TypeError,
    );
    await expect(
      openTable(Readable.from([Buffer.from('a')]), { limits: { ...limits, maxCells: NaN } }),
    ).rejects.toThrow(TypeError);
  });
});

describe('openTable streaming behaviour', () => {
  it('gives rows in batches of batchRows, in file order', async () => {
    const text = `n\n${Array.from({ length: 25 }, (_, i) => `${i}\n`).join('')}`;
    const table = await openTable(Readable.from(chunked(Buffer.from(text), 10)), { limits, batchRows: 10 });
    const sizes: number[] = [];
    const values: string[] = [];
    for await (const batch of table.rows) {
      sizes.push(batch.length);
      values.push(...batch.map((row) => row.cells[0] as string));
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(values).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
  });

  it('reads the source only as fast as rows are consumed (never the whole file)', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from('id;name\n');
      for (let i = 0; i < 100_000; i += 1) {
        pulled += 1;
        yield Buffer.from(`${i};${'x'.repeat(100)}\n`.repeat(10));
      }
    }
    const table = await openTable(source(), { limits, batchRows: 100 });
    // Opening reads the sniff window (64 KiB) and not much more.
    expect(pulled).toBeLessThan(80);
    const iterator = table.rows[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    expect(pulled).toBeLessThan(100);
    await iterator.return?.(undefined);
  });

  it('can be iterated once', async () => {
    const table = await openTable(Readable.from([Buffer.from('a\n1\n')]), { limits });
    for await (const _ of table.rows);
    expect(() => table.rows[Symbol.asyncIterator]()).toThrow(/once/);
  });

  it('rejects the iterator (no unhandled error, no crash) and drains the Readable when the file fails mid-way', async () => {
    const chunks = [
      Buffer.from('a,b\n'),
      ...Array.from({ length: 50 }, () => Buffer.from('1,2\n'.repeat(50))),
    ];
    chunks.splice(10, 0, Buffer.from('1,2,3,4,5,6\n'));
    const stream = Readable.from(chunks, { highWaterMark: 1 });
    const table = await openTable(stream, { limits: { ...limits, maxColumns: 4 } });
    const error = await refusal(
      (async () => {
        for await (const _ of table.rows);
      })(),
    );
    expect(error.code).toBe('too_many_columns');
    if (!stream.readableEnded) await new Promise((resolve) => stream.once('end', resolve));
    expect(stream.readableEnded).toBe(true);
    expect(stream.destroyed).toBe(true);
  });

  it('drains the Readable when the consumer stops early, and survives a source error while draining', async () => {
    let sent = 0;
    const stream = new Readable({
      read() {
        sent += 1;
        if (sent === 1) this.push('a,b\n');
        else if (sent < 200) this.push('1,2\n'.repeat(100));
        else this.destroy(new Error('client went away'));
      },
    });
    const table = await openTable(stream, { limits, batchRows: 10 });
    for await (const _ of table.rows) break;
    if (!stream.destroyed) await new Promise((resolve) => stream.once('close', resolve));
    expect(sent).toBe(200);
  });

  it('ends a generator source (its finally runs) on an error and on an early stop', async () => {
    let finished = 0;
    async function* source(bad: boolean): AsyncGenerator<Buffer> {
      try {
        yield Buffer.from('a,b\n');
        for (let i = 0; i < 1000; i += 1)
          yield Buffer.from(bad && i === 3 ? '1,"open\n' : '1,2\n'.repeat(50));
      } finally {
        finished += 1;
      }
    }
    const early = await openTable(source(false), { limits, batchRows: 10 });
    for await (const _ of early.rows) break;
    expect(finished).toBe(1);
    const failing = await openTable(source(true), { limits: { ...limits, maxColumns: 2, maxCellChars: 5 } });
    await expect(
      (async () => {
        for await (const _ of failing.rows);
      })(),
    ).rejects.toBeInstanceOf(ImportFileError);
    expect(finished).toBe(2);
  });

  it('releases the source when the iterator is returned before its first batch', async () => {
    let finished = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield Buffer.from('a,b\n');
        for (;;) yield Buffer.from('1,2\n'.repeat(100));
      } finally {
        finished = true;
      }
    }
    const table = await openTable(source(), { limits });
    await table.rows[Symbol.asyncIterator]().return?.(undefined);
    expect(finished).toBe(true);
  });

  it('releases the source when it refuses the file at open', async () => {
    let finished = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield Buffer.from('%PDF-1.4\n');
        yield Buffer.from('more');
      } finally {
        finished = true;
      }
    }
    await expect(openTable(source(), { limits })).rejects.toMatchObject({ code: 'binary_file' });
    expect(finished).toBe(true);
  });

  it('passes an error of the source itself through unchanged, at open and while rows are read', async () => {
    async function* source(size: number): AsyncGenerator<Buffer> {
      yield Buffer.from(`a,b\n${'1,2\n'.repeat(size)}`);
      throw new Error('socket hang up');
    }
    await expect(openTable(source(1), { limits })).rejects.toThrow('socket hang up');
    const table = await openTable(source(20_000), { limits });
    await expect(
      (async () => {
        for await (const _ of table.rows);
      })(),
    ).rejects.toThrow('socket hang up');
  });
});
