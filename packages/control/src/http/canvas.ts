// The canvas (apps/canvas, a static single-page app) served beside the API on the same origin, so
// the browser needs no CORS and talks to /v1 with the token it holds. Files come from the built
// app; any other GET outside /v1 answers index.html (the app routes /runs, /approvals, … itself).
// Built assets carry a content hash in their names and are cached for good; index.html never is.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export async function serveCanvas(app: FastifyInstance, root: string): Promise<void> {
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    // Unknown files fall through to the not-found handler (sendCanvasIndex).
    wildcard: true,
    // Without this, `send` adds its own `Cache-Control: public, max-age=0` after setHeaders has
    // run, and it wins: hashed assets were never cached and index.html not marked no-cache.
    cacheControl: false,
    setHeaders: (res, path) => {
      res.setHeader(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}

/** Whether a request the router did not match is one of the app's own routes. */
export function isCanvasRoute(req: FastifyRequest): boolean {
  const path = req.url.split('?')[0] ?? '';
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    !path.startsWith('/v1/') &&
    path !== '/v1' &&
    !path.startsWith('/assets/')
  );
}

export function sendCanvasIndex(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-cache').sendFile('index.html');
}
