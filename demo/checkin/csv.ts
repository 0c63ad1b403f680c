// The check-in log as CSV (RFC 4180), pure so it is unit-tested alone. For people, spreadsheets included: a UTF-8
// byte order mark (without it Excel reads UTF-8 names as mojibake) and each time in local time as on screen; for
// machines, each time in ISO 8601 UTC too.

export interface CheckIn {
  /** ms since the epoch. */
  time: number;
  /** 'checked-in' (a live, enrolled person), 'unknown' (nobody matched) or 'not-live' (liveness failed). */
  result: 'checked-in' | 'unknown' | 'not-live';
  personId: string;
  personName: string;
  /** The search's similarity score, when someone matched. */
  similarity: number | null;
  /** Why liveness failed (a liveness code such as FACE_NOT_LIVE), when it did. */
  detail: string;
}

/** `time`: ISO 8601 in UTC; `localTime`: "YYYY-MM-DD HH:MM:SS" in the device's time zone (what the screen shows). */
export const CSV_COLUMNS = ['time', 'localTime', 'result', 'personId', 'personName', 'similarity', 'detail'] as const;

/** The export's MIME type: the charset says UTF-8 to programs that read it from the download. */
export const CSV_TYPE = 'text/csv;charset=utf-8';

const BOM = '\uFEFF';

/**
 * One CSV field. Quotes when needed; a leading = + - @ (also after spaces, or a tab/CR) gets a ' prefix so that a
 * name typed at the kiosk cannot become a formula when the file is opened in a spreadsheet. So does one after a ;: a
 * spreadsheet of a locale whose list separator is ; (much of Europe) splits "Bob;=1+2" there, and quotes in the middle
 * of its cell do not hold it together.
 */
export function csvField(value: string): string {
  const safe = (/^[ ]*[=+\-@]|^[\t\r]/.test(value) ? `'${value}` : value).replace(/;([ ]*[=+\-@\t\r])/g, ";'$1");
  return /[",;\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * "YYYY-MM-DD HH:MM:SS" for `time` (ms since the epoch) in `timeZone` (an IANA name; the device's own when
 * undefined): a form every spreadsheet reads as a date and time, whatever the locale.
 */
export function localTimestamp(time: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(time);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}`;
}

/** The export's file name, dated by the local day (as the log on screen), not the UTC one. */
export function csvFileName(now: number, timeZone?: string): string {
  return `check-ins-${localTimestamp(now, timeZone).slice(0, 10)}.csv`;
}

/** The log as a CSV file's text, byte order mark first; `timeZone` as for localTimestamp. */
export function toCsv(rows: readonly CheckIn[], timeZone?: string): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of rows) {
    lines.push(
      [
        new Date(row.time).toISOString(),
        localTimestamp(row.time, timeZone),
        row.result,
        csvField(row.personId),
        csvField(row.personName),
        row.similarity === null ? '' : row.similarity.toFixed(4),
        csvField(row.detail),
      ].join(','),
    );
  }
  return `${BOM}${lines.join('\r\n')}\r\n`;
}
