/**
 * Tokens: the API token (bearer token for mutations, and for queries when they are closed), generated
 * at first start into <dataDir>/api-token unless RWA_API_TOKEN sets it; and share tokens, each naming a
 * saved read-only view (ShareLink rows).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { GraphQLError } from 'graphql';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Access } from './graphql/context.type.js';

/** The configured token, or the one stored in the data folder (created on first use, mode 0600). */
export function ensureApiToken(config: Config): { token: string; generated: boolean; file: string | null } {
  if (config.apiToken) return { token: config.apiToken, generated: false, file: null };
  const file = path.join(config.dataDir, 'api-token');
  if (fs.existsSync(file)) {
    const token = fs.readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, generated: false, file };
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  const token = `rwa_${crypto.randomBytes(24).toString('base64url')}`;
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, generated: true, file };
}

export function newShareToken(): string {
  return `share_${crypto.randomBytes(24).toString('base64url')}`;
}

function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

/** The bearer token of a request: Authorization header, else ?token= (for links and EventSource). */
export function bearerToken(req: http.IncomingMessage, url?: URL): string | null {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1]! : '';
  }
  return url?.searchParams.get('token') ?? null;
}

export interface ShareView {
  runIds: number[];
  metric?: string;
  split?: string;
  smoothing?: number;
  step?: number | null;
  sample?: number | null;
}

/** Who the request is. Throws UNAUTHENTICATED (HTTP 401) for a token that is neither the API token nor a live share token. */
export async function accessFor(db: Database, config: Config, apiToken: string, token: string | null): Promise<Access> {
  if (token === null) return config.queriesNeedToken ? { role: 'none' } : { role: 'reader' };
  if (token && sameSecret(token, apiToken)) return { role: 'admin' };
  if (token.startsWith('share_') && token.length < 200) {
    const link = await db.prisma.shareLink.findUnique({ where: { token } });
    if (link && (!link.expiresAt || link.expiresAt > new Date())) {
      const view = link.view as unknown as ShareView;
      return { role: 'share', token, runIds: new Set(view.runIds ?? []) };
    }
  }
  throw new GraphQLError('the bearer token is not valid (neither the API token nor a live share token)', {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}
