import { accept, reject, type RuleResult } from './rule-result.js';

/**
 * Trims a raw value and rejects what PostgreSQL or the UTF-8 wire cannot hold: a NUL character (a `text`
 * column refuses 0x00 outright, failing the whole batch insert), a lone UTF-16 surrogate (half of an emoji
 * cut by a careless truncation upstream; it has no UTF-8 encoding), or more than `maxLength` characters.
 * Length counts Unicode code points after trimming, as PostgreSQL's `varchar(n)` does. An empty result is
 * accepted: whether a value is required is the caller's business.
 */
export function checkText(input: string, maxLength: number): RuleResult<string> {
  if (input.includes('\u0000')) return reject('invalid_characters', 'Contains a NUL character.');
  // `isWellFormed` is ES2024: Node 20 has it, the ES2023 lib typings this project compiles against do not.
  if (!(input as string & { isWellFormed(): boolean }).isWellFormed()) {
    return reject('invalid_characters', 'Contains an unpaired UTF-16 surrogate (a broken character).');
  }
  const value = input.trim();
  const length = codePointLength(value);
  if (length > maxLength) {
    return reject('too_long', `Is ${length} characters long; at most ${maxLength} are allowed.`);
  }
  return accept(value);
}

function codePointLength(value: string): number {
  let length = 0;
  for (const _codePoint of value) length += 1;
  return length;
}

/**
 * `checkText`, then a refusal of the empty value: the shared first step of every normaliser, whose value
 * is meaningless when blank.
 */
export function requireText(input: string, maxLength: number, what: string): RuleResult<string> {
  const checked = checkText(input, maxLength);
  if (checked.ok && checked.value === '') return reject('empty_value', `The ${what} is empty.`);
  return checked;
}
