// The check-in log, in its own IndexedDB database (the library's database holds people and templates only).
// Entries are kept for RETENTION_DAYS, and a person's entries go when the person is deleted (kiosk or here).
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CheckIn } from './csv';

interface LogSchema extends DBSchema {
  checkins: { key: number; value: CheckIn; indexes: { time: number; personId: string } };
}

/**
 * How long a check-in is kept. Attendance rarely needs more than a month on the device; export the CSV to keep
 * it longer elsewhere. A log of who was where and when is personal data, so it is not kept without limit.
 */
export const RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export class CheckInLog {
  private constructor(private readonly db: IDBPDatabase<LogSchema>) {}

  /** Opens the log and drops entries older than RETENTION_DAYS (relative to `now`). */
  static async open(name = 'localface-checkin-log', now = Date.now()): Promise<CheckInLog> {
    const db = await openDB<LogSchema>(name, 2, {
      upgrade(database, oldVersion, _newVersion, transaction) {
        const store =
          oldVersion < 1
            ? database.createObjectStore('checkins', { autoIncrement: true })
            : transaction.objectStore('checkins');
        if (oldVersion < 1) store.createIndex('time', 'time');
        if (oldVersion < 2) store.createIndex('personId', 'personId');
      },
    });
    const log = new CheckInLog(db);
    await log.purgeOlderThan(now - RETENTION_DAYS * DAY_MS);
    return log;
  }

  /** Adds a check-in and drops the entries it makes older than RETENTION_DAYS (an app left open for weeks). */
  async add(entry: CheckIn): Promise<void> {
    await this.db.add('checkins', entry);
    await this.purgeOlderThan(entry.time - RETENTION_DAYS * DAY_MS);
  }

  /** Every check-in, oldest first. */
  async all(): Promise<CheckIn[]> {
    return this.db.getAllFromIndex('checkins', 'time');
  }

  async clear(): Promise<void> {
    await this.db.clear('checkins');
  }

  /** Deletes every entry with a time before `time`; returns how many. */
  async purgeOlderThan(time: number): Promise<number> {
    return this.deleteWhere('time', IDBKeyRange.upperBound(time, true));
  }

  /** Deletes every entry of `personId` (the person was deleted); returns how many. */
  async forgetPerson(personId: string): Promise<number> {
    return personId ? this.deleteWhere('personId', IDBKeyRange.only(personId)) : 0;
  }

  /** Deletes the entries of persons not in `enrolled` (deleted elsewhere, e.g. through the API); returns how many. */
  async keepOnly(enrolled: ReadonlySet<string>): Promise<number> {
    const tx = this.db.transaction('checkins', 'readwrite');
    let removed = 0;
    for (let cursor = await tx.store.openCursor(); cursor; cursor = await cursor.continue()) {
      if (cursor.value.personId && !enrolled.has(cursor.value.personId)) {
        await cursor.delete();
        removed++;
      }
    }
    await tx.done;
    return removed;
  }

  close(): void {
    this.db.close();
  }

  private async deleteWhere(index: 'time' | 'personId', range: IDBKeyRange): Promise<number> {
    const tx = this.db.transaction('checkins', 'readwrite');
    let removed = 0;
    for (let cursor = await tx.store.index(index).openCursor(range); cursor; cursor = await cursor.continue()) {
      await cursor.delete();
      removed++;
    }
    await tx.done;
    return removed;
  }
}
