import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A test double for a SearXNG instance: a real HTTP server on 127.0.0.1 answering
 * `GET /search?q=…&format=json` in SearXNG's JSON format (trimmed from a real response: twelve
 * results per query, `https://example.org/<query>/<i>`, and one result without a URL, which a
 * client must drop). Anything else is SearXNG's 403 for a disabled format; the query `boom` is a
 * 500. Every query is recorded.
 */
export interface SearxngFake {
  /** The instance's base URL (AOB_SEARCH_URL): `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  /** The queries asked, in order. */
  readonly queries: readonly string[];
  close(): Promise<void>;
}

export function searxngBody(q: string): unknown {
  const results = Array.from({ length: 12 }, (_, i) => ({
    url: `https://example.org/${encodeURIComponent(q)}/${i}`,
    title: `Result ${i} for ${q}`,
    content: `Snippet ${i}`,
    engine: 'duckduckgo',
    parsed_url: ['https', 'example.org', `/${i}`, '', '', ''],
    template: 'default.html',
    engines: ['duckduckgo', 'brave'],
    positions: [i + 1],
    score: 1 / (i + 1),
    category: 'general',
  }));
  return {
    query: q,
    number_of_results: 0,
    results: [...results, { title: 'no url', content: 'dropped' }],
    answers: [],
    corrections: [],
    infoboxes: [],
    suggestions: [`${q} tutorial`],
    unresponsive_engines: [],
  };
}

/** Starts the fake on a random port. Close it in `afterAll`. */
export async function startSearxngFake(): Promise<SearxngFake> {
  const queries: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams.get('q') ?? '';
    if (url.pathname !== '/search' || url.searchParams.get('format') !== 'json') {
      res.writeHead(403, { 'content-type': 'text/html' });
      return void res.end('<h1>Forbidden</h1>');
    }
    queries.push(q);
    if (q === 'boom') {
      res.writeHead(500, { 'content-type': 'text/html' });
      return void res.end('Internal Server Error');
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(searxngBody(q)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
