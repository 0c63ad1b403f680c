import type { ChangeSet, FaceStore } from '../store/database';
import { modelMismatch } from '../store/database';
import { sameStrings } from '../store/schema';
import { CollectionIndex } from './collectionIndex';

/**
 * The in-memory indexes of one client, one per collection, loaded lazily from IndexedDB in one pass and kept in
 * step with writes:
 * - writes of this client are applied as they commit (apply());
 * - writes of other tabs/clients of the same database arrive as ChangeSets on a BroadcastChannel named after the
 *   database and are applied the same way;
 * - and before every search the collection's stored revision is compared (one small read), so a missed or late
 *   message can never make a search miss a committed write: a stale index is reloaded.
 */
export class SearchIndexes {
  private readonly indexes = new Map<string, CollectionIndex>();
  private readonly loading = new Map<string, Promise<CollectionIndex>>();
  private readonly channel: BroadcastChannel | null;

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
      const record = await this.store.getCollection(collection);
      if (!compatible(record.models, this.models)) throw modelMismatch(record, this.models);
      const current = this.indexes.get(collection);
      if (current && current.revision === record.revision) return current;
      let pending = this.loading.get(collection);
      if (!pending) {
        pending = this.load(collection).finally(() => this.loading.delete(collection));
        this.loading.set(collection, pending);
      }
      const index = await pending;
      // A load already running may have read the collection before the write this call saw committed; then look
      // again (bounded: under a stream of writes, a later revision than the one read is as good).
      if (index.revision === record.revision || attempt === 3) return index;
    }
  }

  /** Applies a write this client committed, and tells the other tabs. */
  committed(change: ChangeSet): void {
    this.applyLocal(change);
    this.channel?.postMessage({ type: 'change', change } satisfies Message);
  }

  /** A collection was deleted (or re-created): drop its index here and in the other tabs. */
  dropped(collection: string): void {
    this.forget(collection);
    this.channel?.postMessage({ type: 'drop', collection } satisfies Message);
  }

  close(): void {
    this.channel?.close();
    for (const index of this.indexes.values()) index.dispose();
    this.indexes.clear();
  }

  /** Drops a collection's index, zeroing its templates first (a memory dump must not find deleted ones). */
  private forget(collection: string): void {
    this.indexes.get(collection)?.dispose();
    this.indexes.delete(collection);
  }

  private async load(collection: string): Promise<CollectionIndex> {
    const { collection: record, blocks } = await this.store.loadSearchBlocks(collection);
    if (!compatible(record.models, this.models)) throw modelMismatch(record, this.models);
    const index = CollectionIndex.fromBlocks(collection, record.revision, this.dims, blocks);
    const replaced = this.indexes.get(collection);
    this.indexes.set(collection, index);
    if (replaced && replaced !== index) replaced.dispose();
    return index;
  }

  private applyLocal(change: ChangeSet): void {
    const index = this.indexes.get(change.collection);
    // Not at the change's base revision: some write was missed; the next get() reloads.
    if (index && !index.apply(change)) this.forget(change.collection);
  }

  private onMessage(message: Message): void {
    if (message.type === 'change') this.applyLocal(message.change);
    else this.forget(message.collection);
  }
}

/** No models: a collection migrated from the prototype without a face, which takes the models of its first one. */
function compatible(stored: readonly string[], current: readonly string[]): boolean {
  return stored.length === 0 || sameStrings(stored, current);
}

type Message = { type: 'change'; change: ChangeSet } | { type: 'drop'; collection: string };
