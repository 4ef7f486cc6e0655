// Fetches one jar from Maven Central into aob's cache, `~/.cache/aob/<name>-<version>/` (or under
// $XDG_CACHE_HOME), so that only the first run on a machine downloads it. A marker file, written
// only after the jar is in place, says the cached jar is whole; a jar without it is fetched again.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { run } from './child-process.js';

const MARKER = '.complete';
const COPY = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy';

export interface MavenJar {
  groupId: string;
  artifactId: string;
  version: string;
  /** The jar's classifier, e.g. `exec`, `jar-with-dependencies`. */
  classifier: string;
  /** The cache directory's name before `-<version>`, e.g. `zipkin` for zipkin-server's. */
  cacheName: string;
}

/** Where the jar is cached: `<cache>/aob/<cacheName>-<version>`. */
export function mavenJarCacheDir(artifact: MavenJar): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'aob', `${artifact.cacheName}-${artifact.version}`);
}

/**
 * The path of the cached jar, downloading it with Maven first if it is not there yet. `log` says
 * when a download starts and how long it took.
 */
export async function fetchMavenJar(
  artifact: MavenJar,
  log: (message: string) => void,
  dir = mavenJarCacheDir(artifact),
): Promise<string> {
  const { groupId, artifactId, version, classifier } = artifact;
  const file = `${artifactId}-${version}-${classifier}.jar`;
  const jar = join(dir, file);
  if (existsSync(join(dir, MARKER)) && existsSync(jar)) return jar;
  const started = Date.now();
  log(`downloading ${artifactId} ${version} from Maven Central into ${dir} (first run only)`);
  await mkdir(dir, { recursive: true });
  // Maven writes into a directory of its own, renamed into place only once complete: an
  // interrupted download (or a second run downloading at the same time) never leaves a partial
  // jar where the marker would vouch for it.
  const staging = await mkdtemp(join(dir, 'download-'));
  try {
    await run('mvn', [
      '-B',
      '-q',
      COPY,
      `-Dartifact=${groupId}:${artifactId}:${version}:jar:${classifier}`,
      `-DoutputDirectory=${staging}`,
    ]);
    if (!existsSync(join(staging, file))) throw new Error(`Maven finished but copied no ${file}`);
    await rename(join(staging, file), jar);
    await writeFile(join(dir, MARKER), `${new Date().toISOString()}\n`);
  } catch (err) {
    throw new Error(
      `could not fetch ${artifactId} ${version} with Maven (is mvn installed, and Java?): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  log(`downloaded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return jar;
}
