import { describe, expect, it } from 'vitest';
import { csvField, toCsv, type CheckIn } from '../../demo/checkin/csv';

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
  });

  it('writes a header and one CRLF line per check-in, times in UTC ISO 8601', () => {
    const rows: CheckIn[] = [
      {
        time: Date.UTC(2026, 10, 22, 8, 30),
        result: 'checked-in',
        personId: 'p1',
        personName: 'Ada',
        similarity: 0.91234,
        detail: '',
      },
      {
        time: Date.UTC(2026, 10, 22, 8, 31),
        result: 'not-live',
        personId: '',
        personName: '',
        similarity: null,
        detail: 'FACE_NOT_LIVE',
      },
    ];
    expect(toCsv(rows)).toBe(
      'time,result,personId,personName,similarity,detail\r\n' +
        '2026-11-22T08:30:00.000Z,checked-in,p1,Ada,0.9123,\r\n' +
        '2026-11-22T08:31:00.000Z,not-live,,,,FACE_NOT_LIVE\r\n',
    );
  });
});
