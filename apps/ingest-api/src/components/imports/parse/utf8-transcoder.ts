import { isAscii } from 'node:buffer';
import iconv from 'iconv-lite';
import { isValidUtf8, SNIFF_BYTES, type EncodingGuess, type TextEncoding } from './detect.js';

/**
 * Turns the file's bytes into UTF-8 bytes for csv-parse, chunk by chunk, holding at most one sniff window.
 *
 * UTF-8 goes through untouched. Windows-1252 and UTF-16 are decoded with iconv-lite: Node's own TextDecoder
 * reads `windows-1252` as ISO-8859-1 since 20.18.3 (nodejs/node#60888), which would turn `€` into U+0080.
 *
 * A file whose sample was all ASCII has not shown its encoding yet. Its ASCII bytes go through as they are
 * (both encodings read them alike); from the first byte above 0x7F, up to `SNIFF_BYTES` are held back and
 * tested, and the decision is reported through `onDecided`.
 */
export class Utf8Transcoder {
  private decoder: iconv.DecoderStream | null = null;
  private state: 'pass' | 'decode' | 'ascii' | 'sniffing';
  private held: Buffer[] = [];
  private heldLength = 0;
  private bomToSkip: number;
  private highSurrogate = '';

  constructor(
    guess: EncodingGuess,
    private readonly onDecided: (encoding: TextEncoding) => void = () => {},
  ) {
    this.bomToSkip = guess.bomLength;
    if (guess.asciiSoFar) this.state = 'ascii';
    else if (guess.encoding === 'utf-8' || guess.encoding === 'utf-8-bom') this.state = 'pass';
    else {
      this.state = 'decode';
      this.decoder = createDecoder(guess.encoding);
    }
  }

  /** UTF-8 bytes for `chunk` (possibly empty while a decision is pending). */
  push(chunk: Buffer): Buffer {
    let bytes = chunk;
    if (this.bomToSkip > 0) {
      const skip = Math.min(this.bomToSkip, bytes.length);
      this.bomToSkip -= skip;
      bytes = bytes.subarray(skip);
    }
    switch (this.state) {
      case 'pass':
        return bytes;
      case 'decode':
        return this.toUtf8((this.decoder as iconv.DecoderStream).write(bytes), false);
      case 'ascii': {
        if (isAscii(bytes)) return bytes;
        const first = bytes.findIndex((byte) => byte > 0x7f);
        this.state = 'sniffing';
        const ascii = bytes.subarray(0, first);
        const rest = this.hold(bytes.subarray(first), false);
        return rest.length === 0 ? ascii : Buffer.concat([ascii, rest]);
      }
      case 'sniffing':
        return this.hold(bytes, false);
    }
  }

  /** What is left at the end of the file. */
  end(): Buffer {
    if (this.state === 'sniffing') return this.hold(Buffer.alloc(0), true);
    if (this.state === 'decode') return this.toUtf8((this.decoder as iconv.DecoderStream).end() ?? '', true);
    return Buffer.alloc(0);
  }

  /**
   * UTF-8 of decoded text. A UTF-16 decoder may end a piece with the first half of a surrogate pair (an emoji
   * cut by a chunk boundary); it is kept for the next piece, since alone it would become U+FFFD.
   */
  private toUtf8(text: string, atEnd: boolean): Buffer {
    let whole = this.highSurrogate + text;
    this.highSurrogate = '';
    const last = whole.charCodeAt(whole.length - 1);
    if (!atEnd && last >= 0xd800 && last <= 0xdbff) {
      this.highSurrogate = whole.slice(-1);
      whole = whole.slice(0, -1);
    }
    return Buffer.from(whole, 'utf8');
  }

  private hold(bytes: Buffer, atEnd: boolean): Buffer {
    if (bytes.length > 0) {
      this.held.push(Buffer.from(bytes));
      this.heldLength += bytes.length;
    }
    if (this.heldLength < SNIFF_BYTES && !atEnd) return Buffer.alloc(0);
    const window = Buffer.concat(this.held, this.heldLength);
    this.held = [];
    this.heldLength = 0;
    if (isValidUtf8(window, atEnd)) {
      this.state = 'pass';
      return window;
    }
    this.state = 'decode';
    this.decoder = createDecoder('windows-1252');
    this.onDecided('windows-1252');
    return this.push(window);
  }
}

function createDecoder(encoding: TextEncoding): iconv.DecoderStream {
  // The byte order mark is skipped by the transcoder itself (it knows its length from detection).
  return iconv.getDecoder(encoding, { stripBOM: false });
}
