import type { FaceEngine } from '../face/engine';
import { ApiKeyService } from './apiKeys';
import { PersonService } from './persons';
import { FusedScorer } from './search/fusedScorer';
import { SearchIndexes } from './search/searchIndexes';
import type { ConnectionLoss, FaceStore } from './store/database';

/** What the client's collection calls use, over one open database connection. */
export class CollectionServices {
  readonly persons: PersonService;
  readonly apiKeys: ApiKeyService;
  private readonly indexes: SearchIndexes;

  /**
   * `onLost` is told when the connection ends (another tab deleted or upgraded the database, or the browser closed
   * it); the search indexes have been closed by then, so no template of a lost database stays in memory.
   */
  constructor(
    readonly store: FaceStore,
    engine: FaceEngine,
    onLost: (loss: ConnectionLoss) => void,
  ) {
    const { modelIds, dimensions } = engine;
    this.indexes = new SearchIndexes(store, modelIds, dimensions);
    store.onLost((loss) => {
      this.indexes.close();
      onLost(loss);
    });
    this.persons = new PersonService(
      store,
      this.indexes,
      engine,
      new FusedScorer(engine.matcher, modelIds, dimensions),
    );
    this.apiKeys = new ApiKeyService(store);
  }

  /** Frees the search indexes and closes the connection. */
  close(): void {
    this.indexes.close();
    this.store.close();
  }
}
