// The change log other connections read to refresh their in-memory vector index.
import type { StoredVector, VectorChanges } from '../memory-driver.js';
import type { SqliteConnection } from './connection.js';
import { blobVector, json } from './rows.js';

export function changeToken(connection: SqliteConnection): number {
  connection.assertOpen();
  return connection.dataVersion();
}

export function vectorChanges(
  connection: SqliteConnection,
  model: string,
  afterSeq: number,
  skipSeqs: readonly number[] = [],
): VectorChanges {
  return connection.read('Reading changes', () => {
    const seq = connection.currentSeq();
    const floor = (
      connection.statement("SELECT value FROM counters WHERE name = 'deletions_floor'").get() as {
        value: number;
      }
    ).value;
    if (afterSeq < floor) return { seq, reset: true, upserts: [], removals: [] };
    const upserts: StoredVector[] = [];
    const removals: Array<{ id: string; namespace: string }> = [];
    const changed = (
      skipSeqs.length === 0
        ? connection
            .statement(
              'SELECT id, namespace, embedding_model, embedding FROM memories WHERE seq > ? ORDER BY seq',
            )
            .all(afterSeq)
        : connection
            .statement(
              'SELECT id, namespace, embedding_model, embedding FROM memories ' +
                'WHERE seq > ? AND seq NOT IN (SELECT value FROM json_each(?)) ORDER BY seq',
            )
            .all(afterSeq, json(skipSeqs))
    ) as Array<{
      id: string;
      namespace: string;
      embedding_model: string | null;
      embedding: Buffer | null;
    }>;
    for (const row of changed) {
      if (row.embedding_model === model && row.embedding) {
        upserts.push({ id: row.id, namespace: row.namespace, vector: blobVector(row.embedding) });
      } else {
        removals.push({ id: row.id, namespace: row.namespace });
      }
    }
    for (const row of connection
      .statement('SELECT id, namespace FROM memory_deletions WHERE seq > ?')
      .all(afterSeq) as Array<{
      id: string;
      namespace: string;
    }>) {
      removals.push(row);
    }
    return { seq, reset: false, upserts, removals };
  });
}
