/** GraphQL errors with a code in extensions.code (Apollo's codes where one fits). */
import { GraphQLError } from 'graphql';

export type ApiErrorCode = 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT';

export function apiError(code: ApiErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

/** A bad argument: names the field, the value and what is allowed. */
export function badInput(
  field: string,
  value: unknown,
  message: string,
  extra: Record<string, unknown> = {},
): GraphQLError {
  return apiError('BAD_USER_INPUT', message, { field, value: jsonSafe(value), ...extra });
}

export function notFound(what: string, id: number | string): GraphQLError {
  return apiError('NOT_FOUND', `${what} ${JSON.stringify(id)} does not exist`);
}

function jsonSafe(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    JSON.stringify(value);
    return value;
  } catch {
    return String(value);
  }
}

/** Integer argument in [min, max], or a BAD_USER_INPUT error naming it. */
export function intInRange(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw badInput(field, value, `${field} must be an integer in ${min}..${max}; got ${value}`);
  return value;
}

const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_.:/-]{0,63}$/;

/** Metric names as the recorder writes them (loss, accuracy, grad_norm, ...). */
export function metricName(field: string, value: string): string {
  if (!METRIC_NAME.test(value))
    throw badInput(
      field,
      value,
      `${field} must be a metric name: a letter, then up to 63 letters, digits or _.:/-; got ${JSON.stringify(value)}`,
    );
  return value;
}
