// The check-in log as CSV (RFC 4180), pure so it is unit-tested alone.

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

export const CSV_COLUMNS = ['time', 'result', 'personId', 'personName', 'similarity', 'detail'] as const;

/**
 * One CSV field. Quotes when needed; a leading = + - @ (or tab/CR) gets a ' prefix so that a name typed at the kiosk
 * cannot become a formula when the file is opened in a spreadsheet.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsv(rows: readonly CheckIn[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of rows) {
    lines.push(
      [
        new Date(row.time).toISOString(),
        row.result,
        csvField(row.personId),
        csvField(row.personName),
        row.similarity === null ? '' : row.similarity.toFixed(4),
        csvField(row.detail),
      ].join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
