import { FaceError } from '../../errors';
import type { ChangeSet, FaceStore } from '../store/database';
import { modelMismatch } from '../store/database';
import { sameElements } from '../../vocabulary';
import { CollectionIndex } from './collectionIndex';

/**
 * The in-memory indexes of one client, one per collection, loaded lazily from IndexedDB in one pass and kept in
 * step with writes:
 * - writes of this client are applied as they commit (apply());
 * - writes of other tabs/clients of the same database are announced on a BroadcastChannel named after the database,
 *   without templates (a channel any script of the origin can read or write): the announced faces are read from
 *   IndexedDB and applied only if the database holds exactly that change, else the index reloads;
 * - and before every search the collection's stored revision is compared (one small read), so a missed or late
 *   message can never make a search miss a committed write: a stale index is reloaded.
 */
export class SearchIndexes {
  private readonly indexes = new Map<string, CollectionIndex>();
  private readonly loading = new Map<string, Promise<CollectionIndex | null>>();
  /**
   * How often each collection's index was dropped while a load of it ran: a load that sees this change was of a
   * collection now gone. Kept only while that load runs (an app may create and delete a collection per session).
   */
  private readonly drops = new Map<string, number>();
  private closed = false;
  /**
   * Counts every change of any index (a write applied, an index loaded or dropped), so a caller that searches
   * repeatedly (the tracker) knows when to search again without reading IndexedDB on every frame.
   */
  version = 0;
  private readonly channel: BroadcastChannel | null;
  /** Other tabs' changes, applied one after another in the order they were announced. */
  private remoteChanges: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: FaceStore,
    private readonly models: readonly string[],
    private readonly dims: readonly number[],
  ) {
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`localface:${store.name}`) : null;
    if (this.channel) this.channel.onmessage = (e: MessageEvent<Message>) => this.onMessage(e.data);
  }

  /** The up-to-date index of `collection` (ERR_NOT_FOUND if it does not exist; a model mismatch is an error). */
  async get(collection: string): Promise<CollectionIndex> {
    for (let attempt = 1; ; attempt++) {
      let record;
      try {
        record = await this.store.getCollection(collection);
      } catch (error) {
        // Deleted (perhaps by another tab whose message never came): its index, if any, goes now.
        if (error instanceof FaceError && error.code === 'ERR_NOT_FOUND') this.forget(collection);
        throw error;
      }
      if (!compatible(record.models, this.models)) throw modelMismatch(record, this.models);
      const current = this.indexes.get(collection);
      if (current && current.revision === record.revision) return current;
      let pending = this.loading.get(collection);
      if (!pending) {
        pending = this.load(collection).finally(() => {
          this.loading.delete(collection);
          this.drops.delete(collection);
        });
        this.loading.set(collection, pending);
      }
      const index = await pending;
      // Dropped while it loaded (the collection was deleted or replaced): look again.
      if (!index) {
        if (attempt < 5) continue;
        throw new FaceError(
          'ERR_INTERNAL',
          `The collection "${collection}" was deleted or replaced again and again while it loaded; retry.`,
        );
      }
      // A load already running may have read the collection before the write this call saw committed; then look
      // again (bounded: under a stream of writes, a later revision than the one read is as good).
      if (index.revision === record.revision || attempt >= 3) return index;
    }
  }

  /** Applies a write this client committed, and tells the other tabs (which faces, not their templates). */
  committed(change: ChangeSet): void {
    this.applyLocal(change);
    const announced: AnnouncedChange = {
      collection: change.collection,
      from: change.from,
      to: change.to,
      removedFaceIds: change.removedFaceIds,
      added: change.added.map(({ faceId, personId }) => ({ faceId, personId })),
    };
    this.announce({ type: 'change', change: announced });
  }

  /** A collection was deleted (or re-created): drop its index here and in the other tabs. */
  dropped(collection: string): void {
    this.forget(collection);
    this.announce({ type: 'drop', collection });
  }

  /**
   * Tells the other tabs, unless these indexes were closed: a connection lost (another tab upgrading or deleting the
   * database) closes them while a write may still commit, and that write must not then fail as if nothing was stored.
   */
  private announce(message: Message): void {
    if (!this.closed) this.channel?.postMessage(message);
  }

  close(): void {
    this.closed = true;
    this.channel?.close();
    for (const index of this.indexes.values()) index.dispose();
    this.indexes.clear();
  }

  /**
   * A collection was deleted or replaced: drops its index, and a load of it under way is not kept (it may have read
   * the collection that is gone).
   */
  private forget(collection: string): void {
    if (this.loading.has(collection)) this.drops.set(collection, (this.drops.get(collection) ?? 0) + 1);
    this.discard(collection);
  }

  /**
   * Drops an index that fell behind the database (a write's message missed or unreadable); the next get() reloads.
   * A load under way stays good: it reads the database as it is now. Templates are zeroed first (a memory dump must
   * not find deleted ones).
   */
  private discard(collection: string): void {
    this.version++;
    this.indexes.get(collection)?.dispose();
    this.indexes.delete(collection);
  }

  /** The collection's index as loaded now; null (and zeroed) if the collection was dropped while it loaded. */
  private async load(collection: string): Promise<CollectionIndex | null> {
    const drops = this.drops.get(collection) ?? 0;
    const { collection: record, blocks } = await this.store.loadSearchBlocks(collection);
    if (!compatible(record.models, this.models)) throw modelMismatch(record, this.models);
    const index = CollectionIndex.fromBlocks(collection, record.revision, this.dims, blocks);
    // Dropped while it loaded, or every index closed (the client closed, the database deleted): zeroed, not kept.
    if (this.closed || (this.drops.get(collection) ?? 0) !== drops) {
      index.dispose();
      return null;
    }
    const replaced = this.indexes.get(collection);
    this.indexes.set(collection, index);
    this.version++;
    if (replaced && replaced !== index) replaced.dispose();
    return index;
  }

  private applyLocal(change: ChangeSet): void {
    const index = this.indexes.get(change.collection);
    // Already there: a search reloaded the collection after this write committed and before its message came.
    if (!index || index.revision === change.to) return;
    this.version++;
    // Not at the change's base revision: some write was missed; the next get() reloads.
    if (!index.apply(change)) this.discard(change.collection);
  }

  private onMessage(message: Message): void {
    if (message?.type === 'drop' && typeof message.collection === 'string') this.forget(message.collection);
    else if (message?.type === 'change' && isAnnouncedChange(message.change)) {
      const announced = message.change;
      this.remoteChanges = this.remoteChanges.then(() => this.applyRemote(announced)).catch(() => undefined);
    }
  }

  /** Another tab's change, applied from what the database holds (see readChange); anything amiss reloads. */
  private async applyRemote(announced: AnnouncedChange): Promise<void> {
    const index = this.indexes.get(announced.collection);
    if (this.closed || !index || index.revision === announced.to) return;
    if (index.revision !== announced.from) {
      this.discard(announced.collection);
      return;
    }
    let change: ChangeSet | null = null;
    try {
      change = await this.store.readChange({ ...announced, added: announced.added.map((a) => ({ ...a, row: EMPTY })) });
    } catch {
      // unreadable now (closing, deleted): the next search compares revisions and reloads
    }
    // The index may have been reloaded or dropped meanwhile: apply only to the one the change was read for.
    if (this.indexes.get(announced.collection) !== index) return;
    if (change) this.applyLocal(change);
    else this.forget(announced.collection);
  }
}

/** No models: a collection migrated from the prototype without a face, which takes the models of its first one. */
function compatible(stored: readonly string[], current: readonly string[]): boolean {
  return stored.length === 0 || sameElements(stored, current);
}

/** A ChangeSet as announced to other tabs: which faces were added, not their templates. */
type AnnouncedChange = Omit<ChangeSet, 'added'> & { added: { faceId: string; personId: string }[] };

type Message = { type: 'change'; change: AnnouncedChange } | { type: 'drop'; collection: string };

const EMPTY = new Float32Array(0);

/** Any script of the origin can post on the channel: only a well-formed announcement is looked at. */
function isAnnouncedChange(x: unknown): x is AnnouncedChange {
  const c = x as AnnouncedChange | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.collection === 'string' &&
    Number.isSafeInteger(c.from) &&
    Number.isSafeInteger(c.to) &&
    Array.isArray(c.removedFaceIds) &&
    c.removedFaceIds.every((id) => typeof id === 'string') &&
    Array.isArray(c.added) &&
    c.added.every((a) => typeof a?.faceId === 'string' && typeof a.personId === 'string')
  );
}
