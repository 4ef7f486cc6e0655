// Where the engine lives and how it runs, from flags and the environment. Pure.
import path from 'node:path';

export interface EngineSettings {
  home: string;
  store: 'file' | 'memory';
  handlersFile?: string;
  allowPrivateNetwork: boolean;
}

export interface SettingsFlags {
  store?: 'file' | 'memory';
  /** --handlers, or AOB_HANDLERS (oclif reads the env var into the flag). */
  handlers?: string;
  allowPrivateNetwork?: boolean;
}

export function engineSettings(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  flags: SettingsFlags = {},
): EngineSettings {
  const settings: EngineSettings = {
    home: path.resolve(cwd, env.AOB_HOME || '.aob'),
    store: flags.store ?? 'file',
    allowPrivateNetwork: flags.allowPrivateNetwork ?? false,
  };
  const handlers = flags.handlers || env.AOB_HANDLERS;
  if (handlers) settings.handlersFile = path.resolve(cwd, handlers);
  return settings;
}

/** Who decides an approval when --by is not given: $USER, else the OS account. */
export function defaultActor(
  env: Readonly<Record<string, string | undefined>>,
  osUser: () => string,
): string {
  if (env.USER) return env.USER;
  try {
    return osUser() || 'unknown';
  } catch {
    return 'unknown';
  }
}

export const SERVER_MODE_MESSAGE =
  'server mode is not available yet (issue 5); unset AOB_SERVER to work locally';
