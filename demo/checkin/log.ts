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

/** How long opening the log waits for a tab holding an older version open before it gives up with a clear error. */
const BLOCKED_MS = 5000;

export class CheckInLog {
  /** The open connection; undefined once another tab's upgrade or delete, or the browser, closed it. */
  private db: IDBPDatabase<LogSchema> | undefined;
  private opening: Promise<IDBPDatabase<LogSchema>> | undefined;

  private constructor(private readonly name: string) {}

  /** Opens the log and drops entries older than RETENTION_DAYS (relative to `now`). */
  static async open(name = 'localface-checkin-log', now = Date.now()): Promise<CheckInLog> {
    const log = new CheckInLog(name);
    await log.purgeOlderThan(now - RETENTION_DAYS * DAY_MS);
    return log;
  }

  /**
   * The connection, opened again when it was lost: another tab upgrading or deleting the database closes it here at
   * once (so this tab never blocks them), and the browser ends it when the site's data is cleared.
   */
  private connection(): Promise<IDBPDatabase<LogSchema>> {
    if (this.db) return Promise.resolve(this.db);
    this.opening ??= this.connect().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private connect(): Promise<IDBPDatabase<LogSchema>> {
    let opened: IDBPDatabase<LogSchema> | undefined;
    const lost = () => {
      if (this.db === opened) this.db = undefined;
    };
    return new Promise((resolve, reject) => {
      let gaveUp = false;
      let blockedTimer: ReturnType<typeof setTimeout> | undefined;
      openDB<LogSchema>(this.name, 2, {
        upgrade(database, oldVersion, _newVersion, transaction) {
          const store =
            oldVersion < 1
              ? database.createObjectStore('checkins', { autoIncrement: true })
              : transaction.objectStore('checkins');
          if (oldVersion < 1) store.createIndex('time', 'time');
          if (oldVersion < 2) store.createIndex('personId', 'personId');
        },
        // A tab of an older version, without this handler, holds the log open: say so rather than wait forever.
        blocked: () => {
          blockedTimer ??= setTimeout(() => {
            gaveUp = true;
            reject(new Error('Another tab holds the check-in log open: close the other check-in tabs and try again.'));
          }, BLOCKED_MS);
        },
        blocking: (_current, _next, event) => {
          (event.target as IDBDatabase).close();
          lost();
        },
        terminated: lost,
      }).then(
        (db) => {
          clearTimeout(blockedTimer);
          if (gaveUp) {
            db.close();
            return;
          }
          this.db = opened = db;
          resolve(db);
        },
        (error: unknown) => {
          clearTimeout(blockedTimer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /**
   * Runs `work` on the connection. A connection closed before its close event arrived ("The database connection is
   * closing": InvalidStateError, nothing done) is opened again for a second try.
   */
  private async use<T>(work: (db: IDBPDatabase<LogSchema>) => Promise<T>): Promise<T> {
    const db = await this.connection();
    try {
      return await work(db);
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'InvalidStateError')) throw error;
      if (this.db === db) this.db = undefined;
      return work(await this.connection());
    }
  }

  /** Adds a check-in and drops the entries it makes older than RETENTION_DAYS (an app left open for weeks). */
  async add(entry: CheckIn): Promise<void> {
    await this.use((db) => db.add('checkins', entry));
    await this.purgeOlderThan(entry.time - RETENTION_DAYS * DAY_MS);
  }

  /** Every check-in, oldest first. */
  async all(): Promise<CheckIn[]> {
    return this.use((db) => db.getAllFromIndex('checkins', 'time'));
  }

  async clear(): Promise<void> {
    await this.use((db) => db.clear('checkins'));
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
    return this.use(async (db) => {
      const tx = db.transaction('checkins', 'readwrite');
      let removed = 0;
      for (let cursor = await tx.store.openCursor(); cursor; cursor = await cursor.continue()) {
        if (cursor.value.personId && !enrolled.has(cursor.value.personId)) {
          await cursor.delete();
          removed++;
        }
      }
      await tx.done;
      return removed;
    });
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private async deleteWhere(index: 'time' | 'personId', range: IDBKeyRange): Promise<number> {
    return this.use(async (db) => {
      const tx = db.transaction('checkins', 'readwrite');
      let removed = 0;
      for (let cursor = await tx.store.index(index).openCursor(range); cursor; cursor = await cursor.continue()) {
        await cursor.delete();
        removed++;
      }
      await tx.done;
      return removed;
    });
  }
}
