/**
 * The HTTP front: /graphql through Apollo Server (a small Node http integration, no framework), extra
 * routes (CSV/JSON export, Server-Sent Events) given by the app, and the dashboard's static files at /.
 * Request bodies are limited to maxBodyBytes; CORS answers only the configured origins.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ApolloServer, HeaderMap, type BaseContext } from '@apollo/server';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.ico': 'image/x-icon',
};

export interface HttpOptions<C extends BaseContext> {
  apollo: ApolloServer<C>;
  context: (req: http.IncomingMessage) => Promise<C>;
  /** Folder of the dashboard's static files. */
  staticDir: string;
  /** Largest request body accepted (413 above it). */
  maxBodyBytes: number;
  /** Origins allowed by CORS ('*' for any). */
  corsOrigins: readonly string[];
  /** Other routes: return true when the request was handled. */
  routes?: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<boolean>;
}

export function createHttpServer<C extends BaseContext>(options: HttpOptions<C>): http.Server {
  return http.createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendText(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      else res.destroy();
    });
  });
}

async function handle<C extends BaseContext>(
  options: HttpOptions<C>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (cors(options.corsOrigins, req, res)) return;
  if (url.pathname === '/graphql') return graphql(options, req, res, url);
  if (options.routes && (await options.routes(req, res, url))) return;
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendText(res, 405, `method ${req.method} not allowed on ${url.pathname}`);
  return serveStatic(options.staticDir, url.pathname, res);
}

/** Sets CORS headers for allowed origins; answers preflights (returns true when it did). */
function cors(origins: readonly string[], req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin && (origins.includes('*') || origins.includes(origin))) {
    res.setHeader('access-control-allow-origin', origins.includes('*') ? '*' : origin);
    res.setHeader('vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'authorization, content-type, apollo-require-preflight');
      res.setHeader('access-control-max-age', '600');
      res.statusCode = 204;
      res.end();
      return true;
    }
  }
  return false;
}

async function graphql<C extends BaseContext>(
  { apollo, context, maxBodyBytes }: HttpOptions<C>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown = undefined;
  if (req.method === 'POST') {
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      res.setHeader('connection', 'close');
      return sendText(res, 413, `request body over ${maxBodyBytes} bytes (RWA_MAX_BODY_BYTES)`);
    }
    const text = await readBody(req, maxBodyBytes);
    if (text === null) return sendText(res, 413, `request body over ${maxBodyBytes} bytes (RWA_MAX_BODY_BYTES)`);
    if ((headers.get('content-type') ?? '').includes('application/json')) {
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        return sendText(res, 400, 'request body is not valid JSON');
      }
    } else body = text;
  }
  const result = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
    context: () => context(req),
  });
  for (const [key, value] of result.headers) res.setHeader(key, value);
  res.statusCode = result.status ?? 200;
  if (result.body.kind === 'complete') {
    res.end(result.body.string);
  } else {
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function serveStatic(root: string, pathname: string, res: http.ServerResponse) {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return sendText(res, 400, 'bad path');
  }
  const file = path.resolve(root, '.' + (rel.endsWith('/') ? rel + 'index.html' : rel));
  if (file !== root && !file.startsWith(root + path.sep)) return sendText(res, 404, 'not found');
  let target = file;
  if (!fs.existsSync(target) || fs.statSync(target).isDirectory()) {
    // Client-side routes (e.g. /share/<token>) get the page itself; files with an extension do not.
    if (path.extname(rel) !== '') return sendText(res, 404, `not found: ${pathname}`);
    target = path.join(root, 'index.html');
    if (!fs.existsSync(target)) return sendText(res, 404, 'dashboard not built');
  }
  res.statusCode = 200;
  res.setHeader('content-type', CONTENT_TYPES[path.extname(target)] ?? 'application/octet-stream');
  res.setHeader('cache-control', 'no-cache');
  fs.createReadStream(target).pipe(res);
}

export function sendText(res: http.ServerResponse, status: number, text: string) {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(text + '\n');
}
