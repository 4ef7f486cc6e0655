// The base of every aob command: global flags, parsing, the engine's lifetime, and one place that
// turns outcomes and errors into output and exit codes (DESIGN §8).
import os from 'node:os';
import { Command, Errors, Flags } from '@oclif/core';
import type { Interfaces } from '@oclif/core';
import type { LocalEngine } from '@aob/engine';
import { openEngine } from './engine.js';
import { CliError, problemsOf } from './errors.js';
import { ExitCode, exitCodeForError } from './exit-codes.js';
import { firstLine, toErrorJson } from './json.js';
import { err, outJson } from './output.js';
import { formatProblem } from './render.js';
import { SERVER_MODE_MESSAGE, defaultActor, engineSettings } from './settings.js';
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
  private engineInstance: LocalEngine | undefined;
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
    if (process.env.AOB_SERVER) {
      throw new CliError('SERVER_UNAVAILABLE', SERVER_MODE_MESSAGE, ExitCode.Unreachable);
    }
  }

  async run(): Promise<void> {
    const code = await this.perform();
    await this.shutdown();
    this.exit(code);
  }

  protected get jsonMode(): boolean {
    return (this.flags as { json?: boolean } | undefined)?.json ?? this.argv.includes('--json');
  }

  /** Opens the local engine once; it is closed when the command ends, however it ends. */
  protected async engine(flags: SettingsFlags = {}): Promise<LocalEngine> {
    if (this.engineInstance) return this.engineInstance;
    const engine = await openEngine(engineSettings(process.env, process.cwd(), flags));
    this.engineInstance = engine;
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    return engine;
  }

  protected defaultActor(): string {
    return defaultActor(process.env, () => os.userInfo().username);
  }

  /** Closes the engine (releasing the leases of runs driven here). Idempotent. */
  protected async shutdown(): Promise<void> {
    const engine = this.engineInstance;
    if (!engine) return;
    this.closing ??= (async () => {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      await engine.close();
    })();
    await this.closing;
  }

  override async catch(error: Interfaces.CommandError): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
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

function errorCode(error: Error, exitCode: number): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  return exitCode === ExitCode.BadInput ? 'BAD_FLAG' : 'INTERNAL';
}
