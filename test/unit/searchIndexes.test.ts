// SearchIndexes between two clients of one database (two tabs), over a stand-in store and Node's BroadcastChannel.
import { describe, expect, it } from 'vitest';
import { SearchIndexes } from '../../src/collections/search/searchIndexes';
import type { ChangeSet, FaceStore } from '../../src/collections/store/database';
import { FaceError } from '../../src/errors';

const D = 4;
const unit = (k: number) => Float32Array.from({ length: D }, (_, i) => (i === k % D ? 1 : 0));
const tick = (ms = 1) => new Promise((resolve) => setTimeout(resolve, ms));

/** One database's collection "c", as both tabs' stores see it. */
function database() {
  return {
    deleted: false,
    record: { name: 'c', createdAt: 0, models: ['m'], dims: [D], revision: 100, personCount: 1, nextBlockId: 1 },
    faceIds: ['f0'],
    personIds: ['p0'],
    rows: [unit(0)],
  };
}

/** Resolves once `indexes` has received a message from another tab on its channel. */
function nextMessage(indexes: SearchIndexes): Promise<void> {
  const channel = (indexes as unknown as { channel: BroadcastChannel }).channel;
  return new Promise((resolve) => channel.addEventListener('message', () => resolve(), { once: true }));
}

function storeOf(
  db: ReturnType<typeof database>,
  loads: { count: number },
  loadGate: Promise<void> = Promise.resolve(),
): FaceStore {
  return {
    name: `db-${Math.random()}`,
    async getCollection(name: string) {
      await tick();
      if (db.deleted) throw new FaceError('ERR_NOT_FOUND', 'gone', { metadata: { collectionName: name } });
      return { ...db.record };
    },
    // As FaceStore.readChange: the announced change as the database holds it, or null.
    async readChange(change: ChangeSet) {
      await tick();
      if (db.deleted || db.record.revision !== change.to) return null;
      if (change.removedFaceIds.some((id) => db.faceIds.includes(id))) return null;
      const added = change.added.map((a) => {
        const i = db.faceIds.indexOf(a.faceId);
        return i >= 0 && db.personIds[i] === a.personId ? { ...a, row: db.rows[i]! } : null;
      });
      return added.every((a) => a !== null) ? { ...change, added } : null;
    },
    async loadSearchBlocks() {
      loads.count++;
      await loadGate;
      const data = new Float32Array(db.rows.length * D);
      db.rows.forEach((r, i) => data.set(r, i * D));
      return {
        collection: { ...db.record },
        blocks: [{ collection: 'c', blockId: 0, faceIds: [...db.faceIds], personIds: [...db.personIds], data }],
      };
    },
  } as unknown as FaceStore;
}

describe('search indexes of two tabs on one database', () => {
  it("a search between another tab's commit and its message reloads once, and the message keeps that index", async () => {
    const db = database();
    const loads = { count: 0 };
    const tabB = new SearchIndexes(Object.assign(storeOf(db, loads), { name: 'shared' }), ['m'], [D]);
    const a = new SearchIndexes(Object.assign(storeOf(db, { count: 0 }), { name: 'shared' }), ['m'], [D]);
    await tabB.get('c');
    // Tab A commits revision 101; tab B searches before A's message arrives.
    db.record.revision = 101;
    db.faceIds.push('f1');
    db.personIds.push('p1');
    db.rows.push(unit(1));
    const reloaded = await tabB.get('c');
    const delivered = nextMessage(tabB);
    a.committed({
      collection: 'c',
      from: 100,
      to: 101,
      removedFaceIds: [],
      added: [{ faceId: 'f1', personId: 'p1', row: unit(1) }],
    });
    await delivered;
    expect(await tabB.get('c')).toBe(reloaded);
    expect(loads.count).toBe(2);
    a.close();
    tabB.close();
  });

  it("another tab's change is applied from the database (no reload); a message no write made is never applied", async () => {
    const db = database();
    const loads = { count: 0 };
    const tabB = new SearchIndexes(Object.assign(storeOf(db, loads), { name: 'shared3' }), ['m'], [D]);
    const a = new SearchIndexes(Object.assign(storeOf(db, { count: 0 }), { name: 'shared3' }), ['m'], [D]);
    await tabB.get('c');
    // A real write in tab A: tab B reads the new face from the database, whatever the message says its row is.
    db.record.revision = 101;
    db.faceIds.push('f1');
    db.personIds.push('p1');
    db.rows.push(unit(1));
    let delivered = nextMessage(tabB);
    a.committed({
      collection: 'c',
      from: 100,
      to: 101,
      removedFaceIds: [],
      added: [{ faceId: 'f1', personId: 'p1', row: unit(3) }],
    });
    await delivered;
    await tick(20);
    const index = await tabB.get('c');
    expect(loads.count).toBe(1);
    expect(index.revision).toBe(101);
    // Another script of the origin posts a change no write made: a face of p0 that is not in the database.
    const forger = new BroadcastChannel('localface:shared3');
    delivered = nextMessage(tabB);
    forger.postMessage({
      type: 'change',
      change: {
        collection: 'c',
        from: 101,
        to: 102,
        removedFaceIds: [],
        added: [{ faceId: 'planted', personId: 'p0' }],
      },
    });
    await delivered;
    await tick(20);
    forger.close();
    // The index was dropped (not changed), and the next search reloads what the database holds.
    const after = await tabB.get('c');
    expect(loads.count).toBe(2);
    expect(after.revision).toBe(101);
    expect((after as unknown as { rowOfFace: Map<string, number> }).rowOfFace.has('planted')).toBe(false);
    a.close();
    tabB.close();
  });

  it('a collection deleted while a tab loads it: that load is zeroed and not kept', async () => {
    const db = database();
    let finishLoad = () => undefined as void;
    const gate = new Promise<void>((resolve) => (finishLoad = resolve));
    const loads = { count: 0 };
    const tabB = new SearchIndexes(Object.assign(storeOf(db, loads, gate), { name: 'shared2' }), ['m'], [D]);
    const a = new SearchIndexes(Object.assign(storeOf(db, { count: 0 }), { name: 'shared2' }), ['m'], [D]);
    const loading = tabB.get('c');
    while (loads.count === 0) await tick(); // tabB is reading the blocks
    db.deleted = true;
    const delivered = nextMessage(tabB);
    a.dropped('c');
    await delivered;
    finishLoad();
    await expect(loading).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect((tabB as unknown as { indexes: Map<string, unknown> }).indexes.has('c')).toBe(false);
    a.close();
    tabB.close();
  });

  it("a stale index dropped by another tab's message does not throw away a load of the collection under way", async () => {
    const db = database();
    let finishLoad = () => undefined as void;
    let gate: Promise<void> = Promise.resolve();
    const loads = { count: 0 };
    const store = storeOf(db, { count: 0 });
    const tabB = new SearchIndexes(
      Object.assign(store, {
        name: 'stale',
        loadSearchBlocks: (...args: Parameters<FaceStore['loadSearchBlocks']>) => {
          loads.count++;
          return gate.then(() => storeOf(db, { count: 0 }).loadSearchBlocks(...args));
        },
      }),
      ['m'],
      [D],
    );
    const a = new SearchIndexes(Object.assign(storeOf(db, { count: 0 }), { name: 'stale' }), ['m'], [D]);
    await tabB.get('c'); // revision 100
    // Two writes of tab A whose messages tab B missed; its next search loads revision 102 ...
    db.record.revision = 102;
    db.faceIds.push('f1', 'f2');
    db.personIds.push('p1', 'p2');
    db.rows.push(unit(1), unit(2));
    gate = new Promise<void>((resolve) => (finishLoad = resolve));
    const searching = tabB.get('c');
    while (loads.count === 1) await tick();
    // ... while the message of the second arrives: it cannot apply to revision 100, so that index goes.
    const delivered = nextMessage(tabB);
    a.committed({
      collection: 'c',
      from: 101,
      to: 102,
      removedFaceIds: [],
      added: [{ faceId: 'f2', personId: 'p2', row: unit(2) }],
    });
    await delivered;
    await tick(5);
    finishLoad();
    const index = await searching;
    expect(index.revision).toBe(102);
    expect(loads.count).toBe(2); // the load under way was kept, not read again
    a.close();
    tabB.close();
  });

  it('collections made and dropped again and again leave nothing behind in the client', async () => {
    const db = database();
    const indexes = new SearchIndexes(Object.assign(storeOf(db, { count: 0 }), { name: 'many' }), ['m'], [D]);
    for (let i = 0; i < 50; i++) {
      await indexes.get('c');
      indexes.dropped('c');
      indexes.dropped(`session-${i}`); // a collection made for one session and deleted, never searched here
    }
    const inside = indexes as unknown as { drops: Map<string, number>; indexes: Map<string, unknown> };
    expect([inside.drops.size, inside.indexes.size]).toEqual([0, 0]);
    indexes.close();
  });
});
