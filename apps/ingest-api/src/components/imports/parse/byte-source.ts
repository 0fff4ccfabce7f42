import { Readable } from 'node:stream';

/**
 * A pull reader over the uploaded bytes: chunks are read only when the parser wants more (backpressure is
 * the await), the first bytes can be looked at and read again, and `release()` lets go of the source when
 * parsing stops early.
 *
 * A Readable is drained rather than destroyed when parsing stops early: for an HTTP upload that keeps the
 * connection usable for the 422 (destroying a request destroys its socket) and does not stall busboy; the
 * route's own byte limit bounds a hostile upload. Any other iterable is ended with `return()`, which runs its
 * `finally` blocks.
 */
export class ByteSource {
  /** Bytes handed out so far (pushed-back bytes are counted once). */
  bytesRead = 0;
  private readonly pushedBack: Buffer[] = [];
  private done = false;
  private released = false;

  private constructor(
    private readonly iterator: AsyncIterator<unknown>,
    private readonly readable: Readable | null,
  ) {}

  static from(source: AsyncIterable<Buffer> | Readable): ByteSource {
    if (source instanceof Readable) {
      // destroyOnReturn: false so that release() can drain instead of destroying (see above).
      return new ByteSource(source.iterator({ destroyOnReturn: false }), source);
    }
    return new ByteSource(source[Symbol.asyncIterator](), null);
  }

  /** The next chunk, or null at the end. Empty chunks are skipped. */
  async next(): Promise<Buffer | null> {
    const back = this.pushedBack.pop();
    if (back !== undefined) return back;
    while (!this.done) {
      const result = await this.iterator.next();
      if (result.done === true) {
        this.done = true;
        break;
      }
      const chunk = toBuffer(result.value);
      if (chunk.length === 0) continue;
      this.bytesRead += chunk.length;
      return chunk;
    }
    return null;
  }

  /** Puts a chunk back: the next `next()` returns it. */
  unshift(chunk: Buffer): void {
    if (chunk.length > 0) this.pushedBack.push(chunk);
  }

  /**
   * Reads until at least `size` bytes (or the end) and puts them back; returns them as one buffer (a copy only
   * when several chunks were needed). Holds at most `size` plus one chunk.
   */
  async peek(size: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let length = 0;
    while (length < size) {
      const chunk = await this.next();
      if (chunk === null) break;
      chunks.push(chunk);
      length += chunk.length;
    }
    for (let i = chunks.length - 1; i >= 0; i -= 1) this.unshift(chunks[i] as Buffer);
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
  }

  /** Stops reading: drains a Readable, ends any other iterable. Safe to call more than once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.pushedBack.length = 0;
    const { readable } = this;
    if (readable !== null) {
      // A Readable that fails while it is drained (a client that goes away) must not crash the process.
      readable.on('error', ignore);
    }
    if (!this.done) {
      this.done = true;
      try {
        await this.iterator.return?.();
      } catch {
        // The source's own failure while closing changes nothing for the caller, who already has an error.
      }
    }
    if (readable !== null && !readable.destroyed && !readable.readableEnded) readable.resume();
  }
}

function ignore(): void {}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  // A string chunk has already been decoded by someone (setEncoding): the bytes we need to detect are gone.
  throw new TypeError('The import source must yield Buffer or Uint8Array chunks, not decoded text.');
}
