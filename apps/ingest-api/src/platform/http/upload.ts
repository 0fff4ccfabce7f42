import { Transform, type Readable, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { TooLargeError, ValidationError } from '../errors.js';
import { UnsupportedMediaTypeError } from './errors.js';

/** A file sent to a streaming route, as a browser form or as a raw body. */
export interface Upload {
  /** The file's bytes as they arrive; errors with a TooLargeError once the route's limit is passed. */
  stream: Readable;
  /** From the form part, or the raw body's `Content-Disposition: attachment; filename=...`. */
  fileName: string | null;
  /** The file's media type (the part's for a form, the body's otherwise). */
  mediaType: string;
  /** Bytes read so far. */
  bytesRead(): number;
}

export interface UploadOptions {
  /** Media types a raw body may have (`text/csv`, ...); `multipart/form-data` is always accepted. */
  mediaTypes: readonly string[];
  limitBytes: number;
}

/** Counts bytes and fails the stream as soon as the limit is passed, so nothing past it is processed. */
class ByteLimit extends Transform {
  bytes = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new TooLargeError(`The file exceeds the limit of ${this.limit} bytes.`, 'file_too_large'));
      return;
    }
    callback(null, chunk);
  }
}

function fileNameOfDisposition(header: string | undefined): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      return null;
    }
  }
  return /filename\s*=\s*"?([^";]+)"?/i.exec(header)?.[1] ?? null;
}

/**
 * The uploaded file of a request, streamed: the first file part of a `multipart/form-data` body (parsed by
 * busboy as it arrives), or the raw body of one of the accepted media types. Resolves as soon as the file's
 * bytes start; the caller reads `stream` with backpressure.
 *
 * @throws {UnsupportedMediaTypeError} another content type
 * @throws {ValidationError} a form without a file part
 */
export function openUpload(req: Request, options: UploadOptions): Promise<Upload> {
  const contentType = req.get('content-type') ?? '';
  const limit = new ByteLimit(options.limitBytes);
  const bytesRead = () => limit.bytes;
  if (req.is('multipart/form-data')) {
    return new Promise<Upload>((resolve, reject) => {
      let parser: busboy.Busboy;
      try {
        parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: options.limitBytes + 1 } });
      } catch (error) {
        reject(new ValidationError([{ path: 'body', message: (error as Error).message }], 'Malformed form.'));
        return;
      }
      let found = false;
      parser.on('file', (_field, file, info) => {
        if (found) {
          file.resume();
          return;
        }
        found = true;
        file.on('error', (error) => limit.destroy(error));
        resolve({
          stream: file.pipe(limit),
          fileName: info.filename || null,
          mediaType: info.mimeType,
          bytesRead,
        });
      });
      parser.on('error', (error) => {
        if (found) limit.destroy(error as Error);
        else
          reject(
            new ValidationError([{ path: 'body', message: 'the form could not be read' }], 'Malformed form.'),
          );
      });
      parser.on('close', () => {
        if (!found) {
          reject(
            new ValidationError(
              [{ path: 'body.file', message: 'a file part is required' }],
              'No file in the form.',
            ),
          );
        }
      });
      req.pipe(parser);
    });
  }
  if (!req.is([...options.mediaTypes])) {
    return Promise.reject(
      new UnsupportedMediaTypeError(
        contentType || undefined,
        ['multipart/form-data', ...options.mediaTypes].join(', '),
      ),
    );
  }
  req.on('error', (error) => limit.destroy(error));
  return Promise.resolve({
    stream: req.pipe(limit),
    fileName: fileNameOfDisposition(req.get('content-disposition')),
    mediaType: contentType.split(';')[0]?.trim().toLowerCase() ?? '',
    bytesRead,
  });
}
