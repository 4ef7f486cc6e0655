// A real trace backend for the tests, without Docker: Zipkin's server (`io.zipkin:zipkin-server`,
// the runnable `exec` jar) fetched from Maven Central and run on a free port of 127.0.0.1, spans
// kept in the JVM's memory. The jar (~130 MB) is cached under `~/.cache/aob/zipkin-<version>/`
// (maven-jar.ts), so only the first run on a machine downloads it. With ZIPKIN_URL set (a Zipkin
// of your own), that one is used as it is. `stop()` ends exactly the process it started.
import { freePort } from '../free-ports.js';
import { startJvm } from '../jvm.js';
import { fetchMavenJar } from '../maven-jar.js';
import { waitUntilReady } from '../wait-ready.js';

export const ZIPKIN_VERSION = '3.5.1';
const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 10_000;

export interface RunningZipkin {
  /** The server's base URL, e.g. http://127.0.0.1:9411. */
  url: string;
  /** Where spans are posted (`OTEL_EXPORTER_ZIPKIN_ENDPOINT`): `<url>/api/v2/spans`. */
  spansEndpoint: string;
  /** SIGTERM to the JVM started here (SIGKILL after 10 s); nothing for a ZIPKIN_URL given. */
  stop(): Promise<void>;
}

const log = (message: string): void => {
  process.stderr.write(`[zipkin] ${message}\n`);
};

/**
 * Starts a private Zipkin (or takes ZIPKIN_URL's) and resolves once `GET /health` says UP. A
 * machine without Java or Maven fails here, loudly: no test that needs it skips.
 */
export async function launchZipkin(): Promise<RunningZipkin> {
  const given = process.env.ZIPKIN_URL;
  if (given) {
    const url = given.replace(/\/+$/, '');
    log(`using the Zipkin at ${url}`);
    // Not ours, so no exit to watch for: only the deadline ends the wait.
    await waitUp(url, new Promise<string>(() => undefined));
    return { url, spansEndpoint: `${url}/api/v2/spans`, stop: async () => {} };
  }
  const jar = await fetchMavenJar(
    {
      groupId: 'io.zipkin',
      artifactId: 'zipkin-server',
      version: ZIPKIN_VERSION,
      classifier: 'exec',
      cacheName: 'zipkin',
    },
    log,
  );
  const started = Date.now();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const jvm = await startJvm({
    name: 'Zipkin',
    args: ['-Xmx256m', '-XX:+UseSerialGC', '-jar', jar],
    // Spans in memory, no self-tracing. QUERY_PORT is where it serves its API and takes spans
    // (POST /api/v2/spans).
    env: { QUERY_PORT: String(port), STORAGE_TYPE: 'mem', SELF_TRACING_ENABLED: 'false' },
    stopGraceMs: STOP_GRACE_MS,
    ready: (exited) => waitUp(url, exited),
  });
  log(`pid ${jvm.pid} on ${url}, up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { url, spansEndpoint: `${url}/api/v2/spans`, stop: jvm.stop };
}

/** Polls `GET /health` until it answers `UP`, the process exits, or two minutes pass. */
async function waitUp(url: string, exited: Promise<string>): Promise<void> {
  let last = 'no answer';
  await waitUntilReady({
    probe: async () => {
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
        const body = await res.text();
        if (res.ok && body.includes('UP')) return true;
        last = `${res.status} ${body.slice(0, 200)}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      return false;
    },
    exited,
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 250,
    timedOut: () => `${url}/health did not say UP within ${READY_TIMEOUT_MS / 1000} s (${last})`,
  });
}
