/**
 * Dexcom timestamps come in many forms (phone records carry an offset, receiver records none;
 * offsets with seconds such as `-06:59:59`; `Z` with milliseconds; missing seconds; single digits).
 * One lenient pattern reads them all: date, time with optional seconds and fraction, optional offset.
 */
const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Parses a Dexcom timestamp leniently into epoch milliseconds, or `undefined` when it is not a
 * timestamp at all. A value without an offset is read as UTC: for `systemTime` that is what Dexcom
 * means; for `displayTime` it is the wall clock the user saw, so keep the raw string too.
 *
 * @example
 * parseDexcomTimestamp('2022-02-06T01:12:35-08:00'); // 1644138755000
 * parseDexcomTimestamp('2022-06-17T03:59:11');       // read as UTC
 * parseDexcomTimestamp('2021-02-03T14:15Z');         // seconds missing: 14:15:00Z
 * parseDexcomTimestamp('yesterday');                 // undefined
 */
export function parseDexcomTimestamp(raw: unknown): number | undefined {
  if (typeof raw !== 'string') return undefined;
  // Most systemTimes are exactly `YYYY-MM-DDTHH:MM:SS`: read those digit by digit (a page of 288
  // EGVs is parsed on every read, and the pattern below costs several times more).
  if (raw.length === 19) {
    const fast = parseCanonical(raw);
    if (fast !== null) return fast;
  }
  const match = TIMESTAMP.exec(raw.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, offset] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) return undefined;
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Reject dates that roll over (e.g. February 31st) rather than silently shifting them.
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined;
  return utc - offsetMillis(offset);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `YYYY-MM-DDTHH:MM:SS` (UTC) in epoch ms; `undefined` for an impossible date; `null` when not of that form. */
function parseCanonical(raw: string): number | undefined | null {
  if (raw.charCodeAt(4) !== 45 || raw.charCodeAt(7) !== 45 || raw.charCodeAt(10) !== 84 || raw.charCodeAt(13) !== 58 || raw.charCodeAt(16) !== 58) {
    return null;
  }
  const year = digits(raw, 0, 4);
  const month = digits(raw, 5, 2);
  const day = digits(raw, 8, 2);
  const hour = digits(raw, 11, 2);
  const minute = digits(raw, 14, 2);
  const second = digits(raw, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return null;
  if (month < 1 || month > 12 || day < 1 || hour > 24 || minute > 59 || second > 60) return undefined;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The decimal number in `raw[from, from + length)`, or -1 if a character there is not a digit. */
function digits(raw: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const digit = raw.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function offsetMillis(offset: string | undefined): number {
  if (offset === undefined || offset.toUpperCase() === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(/:/g, '');
  // `+1`, `+01`, `+0100`, `+010000`: hours take one or two digits, then minutes and seconds two each.
  const hourDigits = digits.length % 2 === 1 ? 1 : 2;
  const hours = Number(digits.slice(0, hourDigits));
  const minutes = Number(digits.slice(hourDigits, hourDigits + 2) || '0');
  const seconds = Number(digits.slice(hourDigits + 2, hourDigits + 4) || '0');
  return sign * ((hours * 60 + minutes) * 60 + seconds) * 1000;
}
