// Starts the real services the integration tests need, once per test run. Each
// `*.service.ts` beside this file exports `start(): Promise<StartedService>`; a service whose
// environment variable is already set (KAFKA_BROKERS, S3_ENDPOINT, …) is used as it is and not
// started. A service that cannot be started fails the run loudly: no test skips.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';

export interface StartedService {
  name: string;
  /** Environment for the tests (e.g. { KAFKA_BROKERS: '127.0.0.1:9092' }). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

interface ServiceModule {
  start(): Promise<StartedService>;
}

const here = fileURLToPath(new URL('.', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: StartedService[] = [];
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.service.ts'))
    .sort();
  try {
    for (const file of files) {
      const mod = (await import(pathToFileURL(here + file).href)) as ServiceModule;
      const service = await mod.start();
      started.push(service);
      for (const [k, v] of Object.entries(service.env)) {
        process.env[k] = v;
        project.provide(k as never, v as never);
      }
    }
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.stop()));
    throw err;
  }
  return async () => {
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
  };
}
