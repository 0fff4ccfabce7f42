import { type Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { errorsCsv, neutraliseFormula, type RejectedRow } from './errors-csv.js';

async function text(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function* from(rows: RejectedRow[]): AsyncGenerator<RejectedRow> {
  yield* rows;
}

const rejected: RejectedRow = {
  rowNumber: 7,
  column: 'SIREN',
  code: 'invalid_siren_checksum',
  message: 'Le SIREN ne passe pas la clé de Luhn.',
  rawValue: '552 032 535',
  cells: ['552 032 535', 'Société Générale; Paris', 'ligne 1\nligne 2'],
};

describe('neutraliseFormula', () => {
  it('prefixes every dangerous leading character with a quote', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) {
      expect(neutraliseFormula(`${start}HYPERLINK("http://x")`)).toBe(`'${start}HYPERLINK("http://x")`);
    }
  });

  it('leaves other values alone, the same characters elsewhere too', () => {
    for (const value of ['', 'Dupont', 'a=b', ' =1+1', "'déjà", '06 12 34 56 78', 'x@y.fr']) {
      expect(neutraliseFormula(value)).toBe(value);
    }
  });
});

describe('errorsCsv', () => {
  it('writes UTF-8 with a BOM, CRLF, the fixed columns then the original row, quoted as needed', async () => {
    const bytes = await text(errorsCsv(from([rejected]), { headers: ['SIREN', 'Raison sociale', 'Note'] }));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.subarray(3).toString('utf8');
    expect(csv.startsWith('row,column,code,message,raw value,SIREN,Raison sociale,Note\r\n')).toBe(true);
    expect(parse(csv)).toEqual([
      ['row', 'column', 'code', 'message', 'raw value', 'SIREN', 'Raison sociale', 'Note'],
      [
        '7',
        'SIREN',
        'invalid_siren_checksum',
        'Le SIREN ne passe pas la clé de Luhn.',
        '552 032 535',
        '552 032 535',
        'Société Générale; Paris',
        'ligne 1\nligne 2',
      ],
    ]);
  });

  it('writes ";" for French Excel, and no BOM when asked', async () => {
    const bytes = await text(
      errorsCsv(from([{ ...rejected, cells: [] }]), {
        headers: [],
        delimiter: ';',
        bom: false,
        labels: ['ligne', 'colonne', 'code', 'message', 'valeur'],
      }),
    );
    expect(bytes[0]).toBe(0x6c);
    expect(parse(bytes.toString('utf8'), { delimiter: ';' })[0]).toEqual([
      'ligne',
      'colonne',
      'code',
      'message',
      'valeur',
    ]);
  });

  it('neutralises every cell that could be a formula: values, original cells and headers', async () => {
    const dangerous = ['=1+1', '+33612345678', '-2', '@SUM(A1)', '\t=cmd', '\r=cmd'];
    const bytes = await text(
      errorsCsv(
        from([
          {
            rowNumber: 2,
            column: '=col',
            code: 'c',
            message: '=msg',
            rawValue: '=HYPERLINK("http://evil")',
            cells: dangerous,
          },
        ]),
        { headers: ['=A', '+B', '-C', '@D', '\tE', '\rF'] },
      ),
    );
    const [header, line] = parse(bytes.subarray(3).toString('utf8'), {
      relax_column_count: true,
    }) as string[][];
    expect(header?.slice(5)).toEqual(["'=A", "'+B", "'-C", "'@D", "'\tE", "'\rF"]);
    expect(line).toEqual([
      '2',
      "'=col",
      'c',
      "'=msg",
      `'=HYPERLINK("http://evil")`,
      ...dangerous.map((value) => `'${value}`),
    ]);
  });

  it('quotes a lone carriage return or line feed, which would otherwise end the row', async () => {
    const bytes = await text(
      errorsCsv(from([{ ...rejected, cells: ['a\rb', 'c\nd'] }]), { headers: ['x', 'y'], bom: false }),
    );
    // Read as Excel does: a lone CR or LF outside quotes ends a row.
    const rows = parse(bytes.toString('utf8'), {
      relax_column_count: true,
      record_delimiter: ['\r\n', '\r', '\n'],
    }) as string[][];
    expect(rows).toHaveLength(2);
    expect(rows[1]?.slice(5)).toEqual(['a\rb', 'c\nd']);
  });

  it('reads the records only as fast as the stream is consumed', async () => {
    let pulled = 0;
    async function* many(): AsyncGenerator<RejectedRow> {
      for (let i = 0; i < 1_000_000; i += 1) {
        pulled += 1;
        yield { ...rejected, rowNumber: i };
      }
    }
    const stream = errorsCsv(many(), { headers: ['a', 'b', 'c'] });
    await new Promise((resolve) => stream.once('readable', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pulled).toBeLessThan(2_000);
    stream.destroy();
  });

  it('ends the records when the consumer goes away', async () => {
    let ended = false;
    async function* many(): AsyncGenerator<RejectedRow> {
      try {
        for (;;) yield rejected;
      } finally {
        ended = true;
      }
    }
    const stream = errorsCsv(many(), { headers: [] });
    await new Promise((resolve) => stream.once('readable', resolve));
    stream.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ended).toBe(true);
  });

  it('fails the stream with the error of the records', async () => {
    async function* failing(): AsyncGenerator<RejectedRow> {
      yield rejected;
      throw new Error('database went away');
    }
    await expect(text(errorsCsv(failing(), { headers: [] }))).rejects.toThrow('database went away');
  });
});
