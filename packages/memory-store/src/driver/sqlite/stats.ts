// Statistics and the namespaces in use.
import type { StoreStats } from '../memory-driver.js';
import type { SqliteConnection } from './connection.js';

export function stats(connection: SqliteConnection, namespace: string | undefined, now: number): StoreStats {
  return connection.read('Reading statistics', () => {
    const where = namespace === undefined ? '' : 'WHERE namespace = @namespace';
    const params = namespace === undefined ? { now } : { now, namespace };
    const base = connection
      .statement(
        `SELECT count(*) AS memories, count(embedding) AS withVector, sum(embedding IS NULL) AS pending, ` +
          `sum(expires_at IS NOT NULL AND expires_at <= @now) AS expired, min(created_at) AS oldest, max(created_at) AS newest ` +
          `FROM memories ${where}`,
      )
      .get(params) as {
      memories: number;
      withVector: number;
      pending: number | null;
      expired: number | null;
      oldest: number | null;
      newest: number | null;
    };
    const byKind: Record<string, number> = {};
    for (const row of connection
      .statement(`SELECT kind, count(*) AS n FROM memories ${where} GROUP BY kind`)
      .all(namespace === undefined ? {} : { namespace }) as Array<{ kind: string; n: number }>) {
      byKind[row.kind] = row.n;
    }
    const byModel: Record<string, number> = {};
    for (const row of connection
      .statement(
        `SELECT embedding_model AS model, count(*) AS n FROM memories ${where ? `${where} AND` : 'WHERE'} embedding_model IS NOT NULL GROUP BY embedding_model`,
      )
      .all(namespace === undefined ? {} : { namespace }) as Array<{ model: string; n: number }>) {
      byModel[row.model] = row.n;
    }
    const entities = (
      connection
        .statement(`SELECT count(*) AS n FROM entities ${where}`)
        .get(namespace === undefined ? {} : { namespace }) as { n: number }
    ).n;
    const relations = (
      connection
        .statement(`SELECT count(*) AS n FROM relations ${where ? `${where} AND` : 'WHERE'} valid_to IS NULL`)
        .get(namespace === undefined ? {} : { namespace }) as { n: number }
    ).n;
    return {
      memories: base.memories,
      withVector: base.withVector,
      pendingEmbeddings: base.pending ?? 0,
      expired: base.expired ?? 0,
      entities,
      relations,
      byKind,
      byModel,
      oldestCreatedAt: base.oldest,
      newestCreatedAt: base.newest,
    };
  });
}

export function namespaces(connection: SqliteConnection): string[] {
  return (
    connection
      .statement(
        'SELECT namespace FROM namespace_counts WHERE memories > 0 UNION SELECT DISTINCT namespace FROM entities ORDER BY namespace',
      )
      .all() as Array<{ namespace: string }>
  ).map((row) => row.namespace);
}
