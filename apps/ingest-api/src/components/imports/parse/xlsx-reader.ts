import { posix } from 'node:path';
import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { Unzip, type AsyncFlateStreamHandler, type UnzipDecoder, type UnzipFile } from 'fflate';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { ByteSource } from './byte-source.js';
import { ImportFileError } from './import-file-error.js';
import type { RawRecord, TableLimits } from './table-types.js';
import { builtInFormat, renderNumber, styleOfFormat, type NumberStyle } from './xlsx-values.js';

export interface XlsxReadOptions {
  sheet: string | null;
  limits: TableLimits;
  /** Called with the name of the sheet once the workbook says which one is read. */
  onSheet: (name: string) => void;
}

/**
 * Inflated bytes may not outgrow the compressed bytes read so far by more than this, once past
 * `RATIO_FLOOR_BYTES`. Real sheets inflate 5 to 30 times (shared strings) and rarely past 100 (the same
 * inline string on every row); a deflate bomb inflates about 1,000 times.
 */
export const MAX_INFLATE_RATIO = 200;
export const RATIO_FLOOR_BYTES = 8 * 1024 * 1024;
/**
 * Source chunks are handed to the unzipper in slices of this size: fflate inflates a whole slice in one call,
 * so this bounds what one call can inflate before the counters look (16 KiB × 1,032, deflate's maximum ratio).
 */
const SLICE_BYTES = 16 * 1024;

const WORKBOOK = 'xl/workbook.xml';
const WORKBOOK_RELS = 'xl/_rels/workbook.xml.rels';
const DEFAULT_STYLES = 'xl/styles.xml';
const DEFAULT_SHARED_STRINGS = 'xl/sharedStrings.xml';
const WORKSHEET_PATH = /^xl\/worksheets\/[^/]+\.xml$/;

interface SheetEntry {
  name: string;
  relId: string;
  hidden: boolean;
}

interface Relationship {
  type: string;
  target: string;
}

/**
 * The rows of one sheet of an XLSX workbook, read from a stream with no random access (see ADR 0060): fflate's
 * streaming `Unzip` walks the local file headers, saxes parses each part as it inflates.
 *
 * Parts the sheet needs (workbook, its relationships, styles, shared strings) are small or bounded and held
 * parsed. A sheet that comes before them in the zip, as Excel writes it, is held compressed until they have
 * been read, then inflated and parsed slice by slice; otherwise it is parsed as it streams.
 * @throws ImportFileError from the iterator: `zip_bomb`, `xml_entities`, `too_many_cells`,
 *   `too_many_columns`, `cell_too_long`, `invalid_xlsx`, `unknown_sheet`, `binary_file`, `unsupported_format`.
 */
export async function* readXlsxRecords(
  bytes: ByteSource,
  options: XlsxReadOptions,
): AsyncGenerator<RawRecord[]> {
  const workbook = new XlsxStreamReader(bytes, options);
  yield* workbook.records();
}

class XlsxStreamReader {
  private readonly unzip: Unzip;
  private failure: unknown = null;
  private rows: RawRecord[] = [];
  private inflatedBytes = 0;
  /** Zip bytes handed to the unzipper so far: the ratio guard compares against these, not the bytes read. */
  private compressedBytes = 0;
  private cellsRead = 0;
  private readonly entriesSeen = new Set<string>();

  private sheets: SheetEntry[] | null = null;
  private relationships: Map<string, Relationship> | null = null;
  private date1904 = false;
  private stylesPath: string | null = DEFAULT_STYLES;
  private sharedStringsPath: string | null = DEFAULT_SHARED_STRINGS;
  private numberStyles: NumberStyle[] = [];
  private sharedStrings: string[] | null = null;
  private stylesDone = false;
  /** The zip path of the sheet to read, once the workbook and its relationships have been read. */
  private targetPath: string | null = null;
  /** Compressed data of worksheets that came before what they need, by path. */
  private readonly deferred = new Map<string, DeferredPart>();
  private targetSeen = false;
  private targetDone = false;
  /** Work queued by the unzipper's callbacks, run in order by `drain()`. */
  private readonly tasks: Task[] = [];
  private readonly inflaters = new Set<InflateRaw>();

  constructor(
    private readonly bytes: ByteSource,
    private readonly options: XlsxReadOptions,
  ) {
    this.unzip = new Unzip((file) => this.onFile(file));
    // The decoders are built per entry by fflate; they look up what to do with the entry by its name.
    const sinkFor = (name: string, method: number) => this.sinkFor(name, method);
    for (const method of [0, 8]) {
      this.unzip.register(
        class implements UnzipDecoder {
          static readonly compression = method;
          ondata: AsyncFlateStreamHandler = () => {};
          private readonly sink: { push(chunk: Uint8Array, final: boolean): void };
          constructor(name: string) {
            this.sink = sinkFor(name, method);
          }
          push(chunk: Uint8Array, final: boolean): void {
            this.sink.push(chunk, final);
          }
        },
      );
    }
  }

  async *records(): AsyncGenerator<RawRecord[]> {
    try {
      yield* this.steps();
    } finally {
      for (const inflater of this.inflaters) inflater.destroy();
    }
  }

  private async *steps(): AsyncGenerator<RawRecord[]> {
    let chunk: Buffer | null = null;
    let offset = 0;
    for (;;) {
      const replay = this.replayable();
      if (replay !== null) {
        await this.replayStep(replay);
      } else if (chunk !== null && offset < chunk.length) {
        // One slice per step, and the rows it gave are handed out before the next: a part that inflates
        // a lot never piles up rows.
        this.pushToUnzip(chunk.subarray(offset, offset + SLICE_BYTES));
        offset += SLICE_BYTES;
        await this.drain();
      } else {
        chunk = await this.bytes.next();
        offset = 0;
        if (chunk === null) {
          this.pushToUnzip(null);
          await this.drain();
          this.throwIfFailed();
          this.finishZip();
          const last = this.replayable() ?? this.deferred.get(this.targetPath ?? '');
          while (last !== undefined && last.chunks.length > 0) {
            await this.replayStep(last);
            this.throwIfFailed();
            if (this.rows.length > 0) yield this.takeRows();
          }
          if (!this.targetDone) {
            throw new ImportFileError(
              'invalid_xlsx',
              'The workbook ends before the sheet does: is the file cut short?',
            );
          }
          return;
        }
      }
      this.throwIfFailed();
      if (this.rows.length > 0) yield this.takeRows();
    }
  }

  private takeRows(): RawRecord[] {
    const rows = this.rows;
    this.rows = [];
    return rows;
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  private fail(error: unknown): void {
    this.failure ??= error instanceof ImportFileError ? error : invalidXlsx(error);
  }

  /** Runs, in zip order, the work the unzipper's synchronous callbacks queued (inflating is asynchronous). */
  private async drain(): Promise<void> {
    while (this.tasks.length > 0) {
      const task = this.tasks.shift() as Task;
      if (this.failure === null) await task();
    }
  }

  private pushToUnzip(slice: Buffer | null): void {
    try {
      if (slice === null) {
        this.unzip.push(new Uint8Array(0), true);
      } else {
        this.compressedBytes += slice.length;
        this.unzip.push(slice, false);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private onFile(file: UnzipFile): void {
    if (this.failure !== null) return;
    const name = file.name;
    this.entriesSeen.add(name);
    const { maxUncompressedBytes } = this.options.limits;
    if (file.originalSize !== undefined && file.originalSize > maxUncompressedBytes) {
      this.fail(zipBomb(`declares ${file.originalSize} bytes`, maxUncompressedBytes, name));
      return;
    }
    if (!this.wants(name)) return;
    if (file.compression !== 0 && file.compression !== 8) {
      this.fail(
        new ImportFileError('invalid_xlsx', `The workbook part ${name} uses an unknown compression method.`),
      );
      return;
    }
    file.ondata = () => {};
    file.start();
  }

  private wants(name: string): boolean {
    if (name === WORKBOOK || name === WORKBOOK_RELS) return true;
    if (name === this.stylesPath || name === this.sharedStringsPath) return true;
    if (this.targetPath !== null) return name === this.targetPath;
    return WORKSHEET_PATH.test(name) || this.isWorksheetTarget(name);
  }

  private isWorksheetTarget(name: string): boolean {
    if (this.relationships === null) return false;
    for (const rel of this.relationships.values())
      if (rel.target === name && isWorksheet(rel.type)) return true;
    return false;
  }

  /**
   * What the unzipper's decoder for entry `name` does with its compressed data: queue it, in zip order, for
   * the part's parser; a worksheet is routed when its first data is handled (parsed now, kept compressed for
   * later, or dropped), since what is known then depends on the parts queued before it.
   */
  sinkFor(name: string, method: number): { push(chunk: Uint8Array, final: boolean): void } {
    let sink: PartSink | null = null;
    let held: DeferredPart | null = null;
    let dropped = false;
    const handle = async (chunk: Uint8Array, final: boolean): Promise<void> => {
      if (sink === null && held === null && !dropped) {
        if (name === WORKBOOK) sink = this.xmlSink(name, method, (parser) => this.readWorkbook(parser));
        else if (name === WORKBOOK_RELS)
          sink = this.xmlSink(name, method, (parser) => this.readRelationships(parser));
        else if (name === this.stylesPath)
          sink = this.xmlSink(name, method, (parser) => this.readStyles(parser));
        else if (name === this.sharedStringsPath) {
          sink = this.xmlSink(name, method, (parser) => this.readSharedStrings(parser));
        } else if (this.targetPath !== null && name !== this.targetPath) dropped = true;
        else if (this.ready()) sink = this.sheetSink(name, method);
        else {
          held = { method, chunks: [], complete: false };
          this.deferred.set(name, held);
        }
      }
      if (sink !== null) await sink.push(chunk, final);
      else if (held !== null) {
        if (chunk.length > 0) held.chunks.push(chunk);
        if (final) held.complete = true;
      }
    };
    return {
      push: (chunk, final) => {
        // A copy: fflate hands out views of buffers it goes on using.
        const copy = chunk.slice();
        this.tasks.push(() => handle(copy, final));
      },
    };
  }

  private sheetSink(name: string, method: number): PartSink {
    this.targetSeen = true;
    return this.xmlSink(name, method, (parser) => this.readSheet(parser));
  }

  /** The deferred target sheet, when everything it needs has been read. */
  private replayable(): DeferredPart | null {
    if (this.targetPath === null || !this.ready()) return null;
    const held = this.deferred.get(this.targetPath);
    return held !== undefined && held.chunks.length > 0 ? held : null;
  }

  private readonly replaySinks = new WeakMap<DeferredPart, PartSink>();

  /** Inflates and parses one held chunk of the deferred sheet (bounded work between two yields). */
  private async replayStep(held: DeferredPart): Promise<void> {
    let sink = this.replaySinks.get(held);
    if (sink === undefined) {
      sink = this.sheetSink(this.targetPath as string, held.method);
      this.replaySinks.set(held, sink);
    }
    // Held chunks are at most one slice each (the unzipper was fed slices), so one step is bounded work.
    const chunk = held.chunks.shift() as Uint8Array;
    await sink.push(chunk, held.chunks.length === 0 && held.complete);
  }

  /** The sheet is known, and so are the styles and shared strings its relationships name (if any). */
  private ready(): boolean {
    return (
      this.targetPath !== null &&
      (this.stylesPath === null || this.stylesDone) &&
      (this.sharedStringsPath === null || this.sharedStrings !== null)
    );
  }

  /** At the end of the zip: what the workbook lacks, said in the user's terms. */
  private finishZip(): void {
    if (this.sheets === null || this.relationships === null) {
      if (this.entriesSeen.has('mimetype') || this.entriesSeen.has('content.xml')) {
        throw new ImportFileError(
          'unsupported_format',
          'This is an OpenDocument spreadsheet (.ods). Save it as .xlsx or CSV.',
        );
      }
      if (this.entriesSeen.has('xl/workbook.bin')) {
        throw new ImportFileError(
          'unsupported_format',
          'This is a binary workbook (.xlsb). Save it as .xlsx or CSV.',
        );
      }
      if (this.entriesSeen.has(WORKBOOK)) {
        throw new ImportFileError(
          'invalid_xlsx',
          'The workbook has no relationships part: the file is damaged.',
        );
      }
      throw new ImportFileError('binary_file', 'This file is a zip archive, not an XLSX workbook.');
    }
    if (!this.targetSeen && !this.deferred.has(this.targetPath ?? '')) {
      throw new ImportFileError('invalid_xlsx', 'The sheet named by the workbook is missing from the file.');
    }
    // Parts a relationship names but the zip lacks cannot be waited for any longer.
    this.stylesDone = true;
    this.sharedStrings ??= [];
  }

  private xmlSink(name: string, method: number, attach: (parser: SaxesParser) => void): PartSink {
    const parser = new SaxesParser({ xmlns: false, position: false });
    parser.on('doctype', () => {
      throw xmlEntities(name);
    });
    attach(parser);
    const guard = new EntityGuard(name);
    const decoder = new TextDecoder('utf-8');
    const onInflated = (data: Uint8Array, final: boolean): void => {
      if (this.failure !== null) return;
      try {
        this.countInflated(data.length, name);
        const text = decoder.decode(guard.pass(data, final), { stream: !final });
        if (text.length > 0) parser.write(text);
        if (final) parser.close();
      } catch (error) {
        this.fail(error);
      }
    };
    if (method === 0) return { push: async (chunk, final) => onInflated(chunk, final) };
    // Node's zlib inflates natively, off the main thread, about twice as fast as fflate's JavaScript inflater;
    // fflate only walks the zip. Output comes in 64 KiB pieces, each counted before it is parsed.
    const inflater = createInflateRaw({ chunkSize: 64 * 1024 });
    this.inflaters.add(inflater);
    inflater.on('data', (data: Buffer) => {
      onInflated(data, false);
      if (this.failure !== null) inflater.destroy();
    });
    inflater.on('error', (error) => this.fail(error));
    inflater.on('close', () => this.inflaters.delete(inflater));
    return {
      push: async (chunk, final) => {
        if (this.failure !== null) return;
        if (chunk.length > 0) await new Promise<void>((resolve) => inflater.write(chunk, () => resolve()));
        if (!final || this.failure !== null) return;
        await new Promise<void>((resolve) => {
          inflater.once('end', resolve);
          inflater.once('close', resolve);
          inflater.end();
        });
        onInflated(new Uint8Array(0), true);
      },
    };
  }

  private countInflated(length: number, name: string): void {
    this.inflatedBytes += length;
    const { maxUncompressedBytes } = this.options.limits;
    if (this.inflatedBytes > maxUncompressedBytes) {
      throw zipBomb(
        `inflates past ${maxUncompressedBytes} bytes`,
        maxUncompressedBytes,
        name,
        this.inflatedBytes,
      );
    }
    if (
      this.inflatedBytes > RATIO_FLOOR_BYTES &&
      this.inflatedBytes > MAX_INFLATE_RATIO * this.compressedBytes
    ) {
      throw zipBomb(
        `inflates more than ${MAX_INFLATE_RATIO} times its compressed size`,
        maxUncompressedBytes,
        name,
        this.inflatedBytes,
      );
    }
  }

  private countCell(rowNumber: number): void {
    this.cellsRead += 1;
    const { maxCells } = this.options.limits;
    if (this.cellsRead > maxCells) {
      throw new ImportFileError(
        'too_many_cells',
        `The workbook has more than ${maxCells} cells (row ${rowNumber}). Split it into smaller files.`,
        { rowNumber, limit: maxCells },
      );
    }
  }

  private readWorkbook(parser: SaxesParser): void {
    const sheets: SheetEntry[] = [];
    parser.on('opentag', (tag) => {
      const name = localName(tag.name);
      if (name === 'workbookPr') {
        const value = tag.attributes['date1904'];
        this.date1904 = value === '1' || value === 'true';
      } else if (name === 'sheet') {
        sheets.push({
          name: tag.attributes['name'] ?? '',
          relId: relationshipId(tag),
          hidden: tag.attributes['state'] === 'hidden' || tag.attributes['state'] === 'veryHidden',
        });
      }
    });
    parser.on('end', () => {
      this.sheets = sheets;
      this.chooseSheet();
    });
  }

  private readRelationships(parser: SaxesParser): void {
    const relationships = new Map<string, Relationship>();
    parser.on('opentag', (tag) => {
      if (localName(tag.name) !== 'Relationship' || tag.attributes['TargetMode'] === 'External') return;
      const target = resolveTarget(tag.attributes['Target'] ?? '');
      relationships.set(tag.attributes['Id'] ?? '', { type: tag.attributes['Type'] ?? '', target });
    });
    parser.on('end', () => {
      this.relationships = relationships;
      const targets = [...relationships.values()];
      this.stylesPath = targets.find((rel) => rel.type.endsWith('/styles'))?.target ?? null;
      this.sharedStringsPath = targets.find((rel) => rel.type.endsWith('/sharedStrings'))?.target ?? null;
      if (this.stylesPath === null) this.stylesDone = true;
      this.chooseSheet();
    });
  }

  /** Once the workbook and its relationships are known: the sheet to read, or `unknown_sheet`. */
  private chooseSheet(): void {
    if (this.sheets === null || this.relationships === null) return;
    const worksheets = this.sheets.filter((sheet) =>
      isWorksheet(this.relationships?.get(sheet.relId)?.type ?? ''),
    );
    const wanted = this.options.sheet;
    let chosen: SheetEntry | undefined;
    if (wanted === null) {
      chosen = worksheets.find((sheet) => !sheet.hidden) ?? worksheets[0];
    } else {
      chosen =
        worksheets.find((sheet) => sheet.name === wanted) ??
        worksheets.find((sheet) => sheet.name.trim().toLowerCase() === wanted.trim().toLowerCase());
    }
    if (chosen === undefined) {
      const names = worksheets.map((sheet) => sheet.name);
      if (wanted === null) throw new ImportFileError('invalid_xlsx', 'The workbook has no worksheet.');
      throw new ImportFileError(
        'unknown_sheet',
        `The workbook has no sheet named "${wanted}". Its sheets: ${names.map((n) => `"${n}"`).join(', ')}.`,
        { sheets: names },
      );
    }
    this.targetPath = this.relationships.get(chosen.relId)?.target ?? null;
    this.options.onSheet(chosen.name);
    for (const path of [...this.deferred.keys()]) if (path !== this.targetPath) this.deferred.delete(path);
  }

  private readStyles(parser: SaxesParser): void {
    const customFormats = new Map<number, string>();
    const formatIds: number[] = [];
    let inCellXfs = false;
    parser.on('opentag', (tag) => {
      const name = localName(tag.name);
      if (name === 'numFmt') {
        customFormats.set(Number(tag.attributes['numFmtId']), tag.attributes['formatCode'] ?? 'General');
      } else if (name === 'cellXfs') {
        inCellXfs = true;
      } else if (name === 'xf' && inCellXfs) {
        formatIds.push(Number(tag.attributes['numFmtId'] ?? 0));
      }
    });
    parser.on('closetag', (tag) => {
      if (localName(tag.name) === 'cellXfs') inCellXfs = false;
    });
    parser.on('end', () => {
      const byFormat = new Map<number, NumberStyle>();
      this.numberStyles = formatIds.map((id) => {
        let style = byFormat.get(id);
        if (style === undefined) {
          style = styleOfFormat(customFormats.get(id) ?? builtInFormat(id));
          byFormat.set(id, style);
        }
        return style;
      });
      this.stylesDone = true;
    });
  }

  /**
   * The shared string table, held whole: any cell may point at any entry. Its size is bounded by the part's
   * inflated bytes (`maxUncompressedBytes`) and its entry count by `maxCells`. Phonetic runs (`rPh`) are left out.
   */
  private readSharedStrings(parser: SaxesParser): void {
    const strings: string[] = [];
    let depthInPhonetic = 0;
    let inText = false;
    let current = '';
    parser.on('opentag', (tag) => {
      const name = localName(tag.name);
      if (name === 'si') current = '';
      else if (name === 'rPh') depthInPhonetic += 1;
      else if (name === 't' && depthInPhonetic === 0) inText = true;
    });
    const onText = (text: string): void => {
      if (inText) current += text;
    };
    parser.on('text', onText);
    parser.on('cdata', onText);
    parser.on('closetag', (tag) => {
      const name = localName(tag.name);
      if (name === 't') inText = false;
      else if (name === 'rPh') depthInPhonetic -= 1;
      else if (name === 'si') {
        this.checkLength(current, 0, 0);
        strings.push(current);
        if (strings.length > this.options.limits.maxCells) {
          throw new ImportFileError(
            'too_many_cells',
            `The workbook holds more than ${this.options.limits.maxCells} texts. Split it into smaller files.`,
            { limit: this.options.limits.maxCells },
          );
        }
      }
    });
    parser.on('end', () => {
      this.sharedStrings = strings;
    });
  }

  private checkLength(text: string, rowNumber: number, column: number): void {
    const { maxCellChars } = this.options.limits;
    if (text.length > maxCellChars) {
      const where = rowNumber > 0 ? `Row ${rowNumber}, column ${column}` : 'A text of the workbook';
      throw new ImportFileError('cell_too_long', `${where} is longer than ${maxCellChars} characters.`, {
        ...(rowNumber > 0 ? { rowNumber, column } : {}),
        limit: maxCellChars,
      });
    }
  }

  private readSheet(parser: SaxesParser): void {
    const { maxColumns, maxCells } = this.options.limits;
    let rowNumber = 0;
    let values: string[] = [];
    let column = -1;
    let type = '';
    let style: NumberStyle | undefined;
    let text = '';
    /** 1: inside `<v>`; 2: inside `<is>`'s `<t>` (not a phonetic run). */
    let capture = 0;
    let inInline = false;
    let depthInPhonetic = 0;
    let hasValue = false;

    parser.on('opentag', (tag) => {
      switch (localName(tag.name)) {
        case 'c': {
          this.countCell(rowNumber);
          const ref = tag.attributes['r'];
          column = ref === undefined ? column + 1 : columnIndex(ref);
          type = tag.attributes['t'] ?? 'n';
          const s = tag.attributes['s'];
          style = s === undefined ? undefined : this.numberStyles[Number(s)];
          text = '';
          hasValue = false;
          break;
        }
        case 'v':
          capture = 1;
          hasValue = true;
          break;
        case 'is':
          inInline = true;
          hasValue = true;
          break;
        case 'rPh':
          depthInPhonetic += 1;
          break;
        case 't':
          if (inInline && depthInPhonetic === 0) capture = 2;
          break;
        case 'row': {
          const ref = tag.attributes['r'];
          rowNumber = ref === undefined ? rowNumber + 1 : Number(ref);
          values = [];
          column = -1;
          break;
        }
        case 'dimension': {
          const cells = dimensionCells(tag.attributes['ref']);
          if (cells > maxCells) {
            throw new ImportFileError(
              'too_many_cells',
              `The sheet spans ${cells} cells; at most ${maxCells} are read. Split it into smaller files.`,
              { limit: maxCells },
            );
          }
          break;
        }
      }
    });
    const onText = (chunk: string): void => {
      if (capture !== 0) text += chunk;
    };
    parser.on('text', onText);
    parser.on('cdata', onText);
    parser.on('closetag', (tag) => {
      switch (localName(tag.name)) {
        case 'v':
        case 't':
          capture = 0;
          break;
        case 'is':
          inInline = false;
          break;
        case 'rPh':
          depthInPhonetic -= 1;
          break;
        case 'c': {
          if (!hasValue) break;
          const value = this.cellText(type, text, style, rowNumber, column);
          if (value === '') break;
          if (column >= maxColumns) {
            throw new ImportFileError(
              'too_many_columns',
              `Row ${rowNumber} has a value in column ${column + 1}; at most ${maxColumns} columns are read.`,
              { rowNumber, column: column + 1, limit: maxColumns },
            );
          }
          this.checkLength(value, rowNumber, column + 1);
          while (values.length < column) values.push('');
          values[column] = value;
          break;
        }
        case 'row':
          // Only non-empty values are written, after '' up to their column: no holes, no trailing blanks.
          if (values.length > 0) this.rows.push({ rowNumber, cells: values });
          values = [];
          break;
      }
    });
    parser.on('end', () => {
      this.targetDone = true;
    });
  }

  private cellText(
    type: string,
    text: string,
    style: NumberStyle | undefined,
    row: number,
    column: number,
  ): string {
    switch (type) {
      case 's': {
        const strings = this.sharedStrings ?? [];
        const value = strings[Number(text)];
        if (value === undefined) {
          throw new ImportFileError(
            'invalid_xlsx',
            `Row ${row}, column ${column + 1} points at a shared string the workbook does not have.`,
            { rowNumber: row, column: column + 1 },
          );
        }
        return value;
      }
      case 'b':
        return text === '1' || text === 'true' ? 'TRUE' : 'FALSE';
      case 'str':
      case 'inlineStr':
      case 'e':
      case 'd':
        return text;
      default:
        return renderNumber(text, style ?? { kind: 'plain' }, this.date1904);
    }
  }
}

interface DeferredPart {
  method: number;
  chunks: Uint8Array[];
  complete: boolean;
}

interface PartSink {
  push(chunk: Uint8Array, final: boolean): Promise<void>;
}

type Task = () => Promise<void>;

/**
 * Refuses DOCTYPE and ENTITY declarations by scanning the inflated bytes before the XML parser sees them,
 * whatever the parser would do with them (saxes does not expand them, but refusing costs nothing). The last
 * 8 bytes are held back until more arrive, so that a declaration split across chunks is seen whole before
 * any of it reaches the parser.
 */
class EntityGuard {
  private static readonly HOLD = '<!DOCTYPE'.length - 1;
  private held: Buffer = Buffer.alloc(0);

  constructor(private readonly part: string) {}

  /** The bytes that may be parsed now. */
  pass(data: Uint8Array, final: boolean): Buffer {
    const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const joined = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    if (joined.includes('<!DOCTYPE') || joined.includes('<!ENTITY')) throw xmlEntities(this.part);
    if (final) {
      this.held = Buffer.alloc(0);
      return joined;
    }
    const cut = Math.max(0, joined.length - EntityGuard.HOLD);
    // A copy: the inflater may reuse the memory behind `data`.
    this.held = Buffer.from(joined.subarray(cut));
    return joined.subarray(0, cut);
  }
}

function xmlEntities(part: string): ImportFileError {
  return new ImportFileError(
    'xml_entities',
    `The workbook part ${part} declares a DOCTYPE or XML entities, which workbooks never need; it is refused.`,
  );
}

function zipBomb(what: string, limit: number, part: string, inflatedBytes = 0): ImportFileError {
  return new ImportFileError(
    'zip_bomb',
    `The workbook part ${part} ${what}: it is refused as a zip bomb (at most ${limit} bytes are inflated).`,
    { limit, inflatedBytes },
  );
}

function invalidXlsx(error: unknown): ImportFileError {
  const detail = error instanceof Error ? error.message : String(error);
  return new ImportFileError('invalid_xlsx', `The workbook cannot be read: ${detail}`, {}, { cause: error });
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/** `r:id`, whatever prefix the writer gave the relationships namespace. */
function relationshipId(tag: SaxesTagPlain): string {
  for (const [key, value] of Object.entries(tag.attributes)) if (key.endsWith(':id')) return value;
  return '';
}

function isWorksheet(type: string): boolean {
  return type.endsWith('/worksheet');
}

/** A relationship target of the workbook as a zip path (relative to `xl/`, or absolute from the root). */
function resolveTarget(target: string): string {
  if (target.startsWith('/')) return posix.normalize(target.slice(1));
  return posix.normalize(posix.join('xl', target));
}

/** Zero-based column of a cell reference (`B7` → 1). */
export function columnIndex(ref: string): number {
  let index = 0;
  for (let i = 0; i < ref.length; i += 1) {
    const code = ref.charCodeAt(i);
    if (code >= 65 && code <= 90) index = index * 26 + (code - 64);
    else if (code >= 97 && code <= 122) index = index * 26 + (code - 96);
    else break;
  }
  return index - 1;
}

/** Cells spanned by a `<dimension ref="A1:T100001">`; 0 when it says nothing usable. */
function dimensionCells(ref: string | undefined): number {
  const match = /^([A-Za-z]+)(\d+):([A-Za-z]+)(\d+)$/.exec(ref ?? '');
  if (match === null) return 0;
  const columns = columnIndex(match[3] as string) - columnIndex(match[1] as string) + 1;
  const rows = Number(match[4]) - Number(match[2]) + 1;
  return columns > 0 && rows > 0 ? columns * rows : 0;
}
