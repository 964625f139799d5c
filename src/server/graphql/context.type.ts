import type { Config } from '../config.js';
import type { Database } from '../db/database.js';

/** What every resolver receives. */
export interface Context {
  db: Database;
  config: Config;
}
