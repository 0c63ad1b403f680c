import { describe, expect, it } from 'vitest';
import { CSV_TYPE, csvField, csvFileName, localTimestamp, toCsv, type CheckIn } from '../../demo/checkin/csv';

describe('check-in CSV export', () => {
  it('quotes fields with commas, quotes and line breaks', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('Doe, Jane')).toBe('"Doe, Jane"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });

  it('defuses spreadsheet formulas in names typed at the kiosk', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('-2')).toBe("'-2");
    expect(csvField('  =1+2')).toBe("'  =1+2");
    // Where ; separates list items, "Bob;=1+2" is two cells there (quoted or not, in the middle of a line): the second
    // must not start with =.
    expect(csvField('Bob;=1+2')).toBe(`"Bob;'=1+2"`);
    expect(csvField('a; @b;c')).toBe(`"a;' @b;c"`);
    const line = toCsv([
      { time: 0, result: 'checked-in', personId: 'p1', personName: 'Bob;=1+2;-3', similarity: 0.9, detail: '' },
    ]).split('\r\n')[1]!;
    const cellsWhereSemicolonsSplit = line.split(/[;,]/);
    expect(cellsWhereSemicolonsSplit.filter((cell) => /^\s*[=+\-@]/.test(cell))).toEqual([]);
  });

  it('writes a byte order mark, a header and one CRLF line per check-in, each time in UTC ISO 8601 and in local time', () => {
    const rows: CheckIn[] = [
      {
        time: Date.UTC(2026, 10, 22, 8, 30),
        result: 'checked-in',
        personId: 'p1',
        personName: 'Zoë Ångström',
        similarity: 0.91234,
        detail: '',
      },
      {
        time: Date.UTC(2026, 10, 22, 8, 31, 5),
        result: 'not-live',
        personId: '',
        personName: '',
        similarity: null,
        detail: 'FACE_NOT_LIVE',
      },
    ];
    const csv = toCsv(rows, 'Europe/Paris'); // UTC+1 in November
    expect(csv).toBe(
      '\uFEFFtime,localTime,result,personId,personName,similarity,detail\r\n' +
        '2026-11-22T08:30:00.000Z,2026-11-22 09:30:00,checked-in,p1,Zoë Ångström,0.9123,\r\n' +
        '2026-11-22T08:31:05.000Z,2026-11-22 09:31:05,not-live,,,,FACE_NOT_LIVE\r\n',
    );
    // The file's first bytes are the UTF-8 byte order mark, which tells spreadsheets the names are UTF-8.
    expect([...new TextEncoder().encode(csv).slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(CSV_TYPE).toBe('text/csv;charset=utf-8');
  });

  it("local time is the time zone's wall clock: another day than UTC where it is", () => {
    const lateUtc = Date.UTC(2026, 10, 22, 23, 30);
    expect(localTimestamp(lateUtc, 'Europe/Paris')).toBe('2026-11-23 00:30:00');
    expect(localTimestamp(lateUtc, 'America/Los_Angeles')).toBe('2026-11-22 15:30:00');
    expect(localTimestamp(Date.UTC(2026, 6, 1, 0, 0, 9), 'Europe/Paris')).toBe('2026-07-01 02:00:09'); // summer time
    // Without a zone, the device's own: the same wall clock as Date's local getters.
    const d = new Date(lateUtc);
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(localTimestamp(lateUtc)).toBe(
      `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
    );
  });

  it('names the file by the local day, not the UTC one', () => {
    expect(csvFileName(Date.UTC(2026, 10, 22, 23, 30), 'Europe/Paris')).toBe('check-ins-2026-11-23.csv');
    expect(csvFileName(Date.UTC(2026, 10, 23, 2, 0), 'America/New_York')).toBe('check-ins-2026-11-22.csv');
  });
});
