import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// One place adds .openapi() to zod, before any schema is declared; every module imports z from here.
extendZodWithOpenApi(z);

export { z };

export interface TextOptions {
  /** Most characters accepted, counted in code points as PostgreSQL's `char_length` counts them. */
  max: number;
  /** Fewest characters, after trimming. Default 1: an empty text is refused unless you give `min: 0`. */
  min?: number;
  /** Remove leading and trailing white space before the checks. Default true. */
  trim?: boolean;
}

// With the u flag a lone surrogate is a code point of its own (category Cs), so this matches only ill-formed
// UTF-16 (what String.prototype.isWellFormed rejects; the ES2024 lib is not in our target).
const LONE_SURROGATE = /\p{Surrogate}/u;
const codePoints = (value: string) => [...value].length;

/**
 * A free-text field. Refuses, with a 422 naming the reason, what PostgreSQL would otherwise reject with a 500
 * (NUL) or silently rewrite (a lone UTF-16 surrogate, such as `"\ud800"` in JSON, becomes U+FFFD when encoded
 * to UTF-8). Use it for every human-entered string a route accepts; identifiers with a format of their own
 * (slug, e-mail, uuid) keep their own schema.
 *
 * @throws {RangeError} when the options are not whole numbers with 0 <= min <= max
 */
export function text(options: TextOptions): z.ZodString {
  const { max, min = 1, trim = true } = options;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
    throw new RangeError(`text(): need whole numbers 0 <= min <= max, got min ${min}, max ${max}`);
  }
  return (trim ? z.string().trim() : z.string())
    .refine((value) => !LONE_SURROGATE.test(value), {
      message: 'must be well-formed Unicode text (it contains a lone UTF-16 surrogate)',
    })
    .refine((value) => !value.includes('\u0000'), { message: 'must not contain the NUL character (U+0000)' })
    .refine((value) => codePoints(value) >= min, {
      message: min === 1 ? 'must not be empty' : `must have at least ${min} characters`,
    })
    .refine((value) => codePoints(value) <= max, { message: `must have at most ${max} characters` })
    .openapi({ minLength: min, maxLength: max });
}
