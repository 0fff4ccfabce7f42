import { format, getFormatDateInfo, getFormatFromId, getFormatInfo, isDateFormat } from 'numfmt';

/** How a numeric cell is turned into text, decided once per cell style from its number format. */
export type NumberStyle =
  | { kind: 'plain' }
  | { kind: 'date'; withDate: boolean; withTime: boolean }
  /** A digit mask without decimals or grouping (`00000`, `0# ## ## ## ##`): identifiers that keep their zeros. */
  | { kind: 'mask'; code: string };

const PLAIN: NumberStyle = { kind: 'plain' };

/** Built-in ids stop here (ECMA-376 §18.8.30 and the Thai ones after it); custom ones start at 164. */
const LAST_BUILT_IN_ID = 81;

/** The format code of a built-in number format id; ids without one are General. */
export function builtInFormat(id: number): string {
  // numfmt answers for any id, wrapping around its table: an id past the table is not a built-in one.
  if (!Number.isInteger(id) || id < 0 || id > LAST_BUILT_IN_ID) return 'General';
  try {
    return getFormatFromId(id) || 'General';
  } catch {
    return 'General';
  }
}

/**
 * Classifies a number format code. Only two things are taken from display formats: that a number is a date
 * (then it is written as ISO 8601), and digit masks that give identifiers their leading zeros. Everything
 * else (grouping, currency, percent, decimals) is a display choice whose decorations the CRM rules would
 * have to undo, so the stored value is given instead.
 */
export function styleOfFormat(code: string): NumberStyle {
  try {
    if (isDateFormat(code)) {
      const parts = getFormatDateInfo(code);
      return {
        kind: 'date',
        withDate: parts.year || parts.month || parts.day,
        withTime: parts.hours || parts.minutes || parts.seconds,
      };
    }
    const info = getFormatInfo(code);
    if (info.type === 'number' && info.maxDecimals === 0 && info.grouped === 0 && info.scale === 1) {
      return code === '0' ? PLAIN : { kind: 'mask', code };
    }
  } catch {
    // A format code numfmt cannot read is a display matter only: the value is given as stored.
  }
  return PLAIN;
}

const DAY_MS = 86_400_000;
/** Day 0 of the 1900 system for serials from 61 on (Excel counts a 29 February 1900 that never was). */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/**
 * The text of a numeric cell from the `<v>` Excel stored:
 * - a date style: ISO 8601, `YYYY-MM-DD`, with `THH:MM:SS` when the format shows a time or the value has one
 *   (a time-only format below one day gives `HH:MM:SS`); the 1904 date system is honoured; the 1900 system's
 *   fictitious 1900-02-29 is kept as Excel shows it;
 * - a digit mask on a non-negative integer: the mask applied (`6000` with `00000` gives `06000`);
 * - anything else: the number without grouping, exponent or trailing `.0` for integers (552032534, 75001,
 *   33612345678), the shortest text that reads back as the same double otherwise.
 */
export function renderNumber(stored: string, style: NumberStyle, date1904: boolean): string {
  const value = Number(stored);
  if (stored.trim() === '' || !Number.isFinite(value)) return stored;
  if (style.kind === 'date') return renderDate(value, style, date1904) ?? plainNumber(value);
  if (style.kind === 'mask' && Number.isSafeInteger(value) && value >= 0) {
    // The common mask, zeros only (`00000`), is padding; numfmt renders the others (`0# ## ## ## ##`).
    if (/^0+$/.test(style.code)) return String(value).padStart(style.code.length, '0');
    try {
      return format(style.code, value);
    } catch {
      return plainNumber(value);
    }
  }
  return plainNumber(value);
}

export function plainNumber(value: number): string {
  if (Number.isInteger(value)) {
    // String() switches to exponent notation from 1e21; BigInt keeps every digit the double has.
    return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
  }
  return String(value);
}

/** Computed here rather than with numfmt: it is one of the hottest paths of a workbook with a date column. */
function renderDate(
  serial: number,
  style: { withDate: boolean; withTime: boolean },
  date1904: boolean,
): string | null {
  if (serial < 0) return null;
  let days = Math.floor(serial);
  let seconds = Math.round((serial - days) * 86_400);
  if (seconds === 86_400) {
    days += 1;
    seconds = 0;
  }
  const time = `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
  if (!style.withDate && serial < 1) return time;
  let date: string;
  if (date1904) date = isoDay(EPOCH_1904 + days * DAY_MS);
  else if (days === 60) date = '1900-02-29';
  else date = isoDay((days < 60 ? EPOCH_1900 + DAY_MS : EPOCH_1900) + days * DAY_MS);
  return style.withTime || seconds !== 0 ? `${date}T${time}` : date;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
