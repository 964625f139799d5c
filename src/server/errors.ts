/** Typed errors with a code; messages name the bad value and the fix. */

export type ErrorCode = 'CONFIG_INVALID' | 'DATA_DIR_LOCKED' | 'MIGRATION_FAILED' | 'DATABASE_UNAVAILABLE';

export class RwaLabError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RwaLabError';
  }
}

/** A bad environment variable (or config value): names the variable, the value and the fix. */
export class ConfigError extends RwaLabError {
  constructor(
    readonly variable: string,
    readonly value: string,
    fix: string,
  ) {
    super('CONFIG_INVALID', `${variable}=${JSON.stringify(value)} is invalid: ${fix}`);
    this.name = 'ConfigError';
  }
}
