import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { RunQueue } from '../queue/queue.js';
import type { RunWorker } from '../queue/worker.js';

/**
 * Who is asking. admin: the bearer token (read and write). reader: no token where queries are open.
 * share: a share-link token, which reads only the runs of its view. none: no token where queries are closed.
 */
export type Access =
  | { role: 'admin' }
  | { role: 'reader' }
  | { role: 'share'; token: string; runIds: ReadonlySet<number> }
  | { role: 'none' };

/** What every resolver receives. */
export interface Context {
  db: Database;
  config: Config;
  access: Access;
  /** The job queue (absent in contexts that only read). */
  queue?: RunQueue;
  /** This process's worker, if it runs one (cancels reach its threads at once). */
  worker?: RunWorker | null;
  /** Base URL of this server, for share links (e.g. http://127.0.0.1:4000/). */
  baseUrl?: string;
}
