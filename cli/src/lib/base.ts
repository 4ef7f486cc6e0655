// The base of every aob command: global flags, parsing, the backend's lifetime (the local engine
// or a server, chosen by AOB_SERVER), and one place that turns outcomes and errors into output and
// exit codes (ARCHITECTURE §8).
import os from 'node:os';
import { Command, Errors, Flags } from '@oclif/core';
import type { Interfaces } from '@oclif/core';
import { AobHttpClient } from '@aob/client';
import type { Backend, BackendChoice } from './backend.js';
import { chooseBackend } from './backend.js';
import { openEngine, stopCliTracing } from './engine.js';
import { badInput, problemsOf } from './errors.js';
import { LocalBackend } from './local-backend.js';
import { RemoteBackend } from './remote-backend.js';
import { ExitCode, exitCodeForError } from './exit-codes.js';
import { firstLine, toErrorJson } from './json.js';
import { err, outJson, stdoutIsTty } from './output.js';
import { formatProblem } from './render.js';
import { defaultActor, engineSettings } from './settings.js';
import type { SettingsFlags } from './settings.js';

export type CmdFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof AobCommand)['baseFlags'] & T['flags']
>;
export type CmdArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export abstract class AobCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    json: Flags.boolean({
      description: 'Print one JSON document (JSON lines for streams) and nothing else on stdout.',
      default: false,
    }),
  };

  protected flags!: CmdFlags<T>;
  protected args!: CmdArgs<T>;
  /** Printed to stderr when the user interrupts the command (e.g. how to resume the run). */
  protected interruptHint: string | undefined;
  private backendInstance: Backend | undefined;
  private closing: Promise<void> | undefined;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    void this.interrupted(signal);
  };

  /** Does the work; returns the exit code. */
  protected abstract perform(): Promise<number>;

  override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof AobCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as CmdFlags<T>;
    this.args = args as CmdArgs<T>;
  }

  async run(): Promise<void> {
    const code = await this.perform();
    await this.shutdown();
    this.exit(code);
  }

  protected get jsonMode(): boolean {
    return (this.flags as { json?: boolean } | undefined)?.json ?? this.argv.includes('--json');
  }

  /** Server mode (AOB_SERVER) or local; throws bad input when server mode is half configured. */
  protected backendChoice(): BackendChoice {
    return chooseBackend(process.env);
  }

  /**
   * Opens the backend once: the local engine on AOB_HOME, or the server named by AOB_SERVER. It is
   * closed when the command ends, however it ends. `flags` configure the local engine; in server
   * mode, flags that only mean something locally are refused when given (every one named).
   */
  protected async backend(flags: SettingsFlags = {}): Promise<Backend> {
    if (this.backendInstance) return this.backendInstance;
    const choice = this.backendChoice();
    let backend: Backend;
    if (choice.mode === 'server') {
      this.refuseLocalOnlyFlags();
      const client = new AobHttpClient({ baseUrl: choice.url, token: choice.token });
      const tty = !this.jsonMode && stdoutIsTty();
      backend = new RemoteBackend(client, choice.url, (line) => {
        if (tty) process.stderr.write(`${line}\n`);
      });
    } else {
      const engine = await openEngine(engineSettings(process.env, process.cwd(), flags));
      backend = new LocalBackend(engine, () => this.defaultActor());
    }
    this.backendInstance = backend;
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    return backend;
  }

  /** The flags given on the command line (not from the environment) among `names`. */
  protected givenFlags(names: readonly string[]): string[] {
    return names.filter((n) => this.argv.some((a) => a === `--${n}` || a.startsWith(`--${n}=`)));
  }

  protected refuseLocalOnlyFlags(): void {
    const problems = this.givenFlags(Object.keys(LOCAL_ONLY_FLAGS)).map((name) => ({
      code: 'LOCAL_ONLY_FLAG',
      path: `--${name}`,
      message: LOCAL_ONLY_FLAGS[name]!,
    }));
    if (problems.length > 0) {
      throw badInput(
        'LOCAL_ONLY_FLAG',
        `not in server mode (AOB_SERVER is set): ${problems.map((p) => p.path).join(', ')}`,
        problems,
      );
    }
  }

  protected defaultActor(): string {
    return defaultActor(process.env, () => os.userInfo().username);
  }

  /** Closes the backend (locally, releasing the leases of runs driven here). Idempotent. */
  protected async shutdown(): Promise<void> {
    const backend = this.backendInstance;
    if (!backend) return;
    this.closing ??= (async () => {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      try {
        await backend.close();
      } finally {
        // The run's last spans are exported before the process exits.
        await stopCliTracing();
      }
    })();
    await this.closing;
  }

  override async catch(thrown: Interfaces.CommandError): Promise<unknown> {
    if (thrown instanceof Errors.ExitError) throw thrown;
    const error = missingArgsError(thrown) ?? thrown;
    const code = exitCodeForError(error);
    await this.report(error, code);
    try {
      await this.shutdown();
    } catch {
      // The error being reported matters more than a failure to close.
    }
    return this.exit(code);
  }

  override async finally(error: Error | undefined): Promise<unknown> {
    try {
      await this.shutdown();
    } catch (e) {
      if (!error) throw e;
    }
    return super.finally(error);
  }

  private async report(error: Error, exitCode: number): Promise<void> {
    const problems = problemsOf(error);
    const code = errorCode(error, exitCode);
    if (this.jsonMode) {
      await outJson(toErrorJson(code, error.message, problems));
      return;
    }
    if (problems && problems.length > 0) {
      await err([`Error: ${firstLine(error.message)}`, ...problems.map(formatProblem)]);
    } else {
      await err(`Error: ${error.message}`);
    }
    if (process.env.AOB_DEBUG && error.stack) await err(error.stack);
  }

  private async interrupted(signal: NodeJS.Signals): Promise<void> {
    if (this.interruptHint && !this.jsonMode) await err(`\n${this.interruptHint}`);
    try {
      await this.shutdown();
    } finally {
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
  }
}

/** Flags that configure the local engine or name an actor; a server decides these itself. */
const LOCAL_ONLY_FLAGS: Readonly<Record<string, string>> = {
  by: 'the server takes who decides from the token (AOB_TOKEN); drop --by',
  author: 'the server takes who proposes from the token (AOB_TOKEN); drop --author',
  handlers: "runs execute on the server's runners; --handlers configures the local engine only",
  'allow-private-network':
    "runs execute on the server's runners; their network policy is the server's",
  store: 'the server keeps its own store; --store configures the local engine only',
  role: 'the server takes the role from the token (AOB_TOKEN); drop --role',
};

function errorCode(error: Error, exitCode: number): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  return exitCode === ExitCode.BadInput ? 'BAD_FLAG' : 'INTERNAL';
}

/**
 * oclif's "Missing 1 required arg:" names the argument only on its following lines, which the
 * one-line and JSON reports drop: restated as one line naming each argument, with a problem each.
 */
function missingArgsError(error: Error): Error | undefined {
  const args = (error as { args?: unknown }).args;
  if (!error.message.startsWith('Missing ') || !Array.isArray(args)) return undefined;
  const named = (args as { name?: unknown; description?: unknown }[]).filter(
    (a): a is { name: string; description?: string } => typeof a.name === 'string',
  );
  if (named.length === 0) return undefined;
  return badInput(
    'MISSING_ARG',
    `missing argument${named.length === 1 ? '' : 's'} ${named.map((a) => a.name).join(', ')} (see --help)`,
    named.map((a) => ({
      code: 'MISSING_ARG',
      path: a.name,
      message: `is required${a.description ? `: ${a.description}` : ''}`,
    })),
  );
}
