// The check-in log, in its own IndexedDB database (the library's database holds people and templates only).
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { CheckIn } from './csv';

interface LogSchema extends DBSchema {
  checkins: { key: number; value: CheckIn; indexes: { time: number } };
}

export class CheckInLog {
  private constructor(private readonly db: IDBPDatabase<LogSchema>) {}

  static async open(name = 'localface-checkin-log'): Promise<CheckInLog> {
    const db = await openDB<LogSchema>(name, 1, {
      upgrade(database) {
        database.createObjectStore('checkins', { autoIncrement: true }).createIndex('time', 'time');
      },
    });
    return new CheckInLog(db);
  }

  async add(entry: CheckIn): Promise<void> {
    await this.db.add('checkins', entry);
  }

  /** Every check-in, oldest first. */
  async all(): Promise<CheckIn[]> {
    return this.db.getAllFromIndex('checkins', 'time');
  }

  async clear(): Promise<void> {
    await this.db.clear('checkins');
  }
}
