import { Flags } from '@oclif/core';
import { setServerLimits } from '@aob/core';
import { AobHttpClient } from '@aob/client';
import type { OutsideRunnerEvent } from '@aob/engine';
import { OutsideRunner, apiAgentHost, loadHandlers } from '@aob/engine';
import { AobCommand } from '../lib/base.js';
import { startCliTracing, stopCliTracing } from '../lib/engine.js';
import { badInput } from '../lib/errors.js';
import { ExitCode } from '../lib/exit-codes.js';
import { out, outJsonLine } from '../lib/output.js';
import { engineSettings } from '../lib/settings.js';

type RunnerLine =
  | OutsideRunnerEvent
  | { type: 'ready'; subject: string; namespace: string; labels: string[]; concurrency: number }
  | { type: 'stopped' };

/** A runner label, as `with.runsOn` takes it (schemas/workflow.schema.json). */
const LABEL = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;

export default class AgentRunner extends AobCommand<typeof AgentRunner> {
  static override summary = 'Run agent nodes outside the cluster, taking their jobs from the API.';
  static override description = `Takes the jobs of agent nodes whose with.runsOn is one of --labels from the API at AOB_SERVER, with a runner token (AOB_TOKEN; an admin makes one: aob token create --role runner). It needs nothing else of the cluster — no database, bus or S3 — and keeps nothing: it executes each job with the settings a cluster runner has (AOB_LLM_BASE_URL, AOB_LLM_API_KEY, AOB_LLM_MODELS, AOB_LLM_PRICES, AOB_SEARCH_URL, AOB_WORKSPACE, …), keeps the job's lease alive while it works, and reports the result through the API. If it dies, its leases run out and another runner takes the jobs. SIGINT or SIGTERM: it takes no more jobs, gives up those in hand (another runner takes them at once) and exits 0. Prints a line per job (JSON lines with --json).`;
  static override examples = [
    'AOB_SERVER=https://aob.example.com AOB_TOKEN=aob_… AOB_LLM_BASE_URL=http://127.0.0.1:11434/v1 <%= config.bin %> <%= command.id %> --labels gpu,eu',
  ];

  static override flags = {
    labels: Flags.string({
      description: 'Comma-separated labels this runner serves (the with.runsOn of its nodes).',
      required: true,
    }),
    concurrency: Flags.integer({
      description: 'Jobs executed at once.',
      default: 1,
      min: 1,
      max: 256,
    }),
    'lease-ms': Flags.integer({
      description:
        'How long a job stays this runner’s without a heartbeat (heartbeats every third): after a crash, the wait before another runner takes it.',
      default: 30_000,
      min: 2_000,
      max: 600_000,
    }),
  };

  protected async perform(): Promise<number> {
    const choice = this.backendChoice();
    if (choice.mode === 'local') {
      throw badInput(
        'SERVER_ONLY',
        'aob agent-runner takes jobs from a cluster API: set AOB_SERVER and AOB_TOKEN (a runner token: aob token create --role runner)',
      );
    }
    const labels = this.flags.labels
      .split(',')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const bad = labels.filter((l) => !LABEL.test(l));
    if (labels.length === 0 || bad.length > 0) {
      throw badInput(
        'BAD_FLAG',
        `--labels takes lower-case labels (a-z, 0-9, '.', '_', '-'; at most 63 characters)${bad.length > 0 ? `: not ${bad.map((b) => JSON.stringify(b)).join(', ')}` : ''}`,
      );
    }
    const settings = engineSettings(process.env, process.cwd());
    setServerLimits(settings.limits);
    // Its attempts join their runs' traces (each job carries its run's trace context).
    await startCliTracing('aob-agent-runner');
    const client = new AobHttpClient({ baseUrl: choice.url, token: choice.token });
    const me = await client.whoami();
    if (me.role !== 'runner') {
      throw badInput(
        'FORBIDDEN',
        `AOB_TOKEN is ${me.subject}'s, whose role is ${me.role}: an agent runner needs a runner token (aob token create --role runner)`,
      );
    }
    const runner = new OutsideRunner({
      client,
      jobClient: (token) => new AobHttpClient({ baseUrl: choice.url, token }),
      labels,
      concurrency: this.flags.concurrency,
      leaseMs: this.flags['lease-ms'],
      options: {
        handlers: settings.handlersFile ? await loadHandlers(settings.handlersFile) : {},
        allowPrivateNetwork: process.env.AOB_ALLOW_PRIVATE_NETWORK === 'true',
        ...(settings.llm ? { llm: settings.llm } : {}),
        ...(settings.search ? { search: settings.search } : {}),
        ...(settings.mcp ? { mcp: settings.mcp } : {}),
        ...(settings.workspaceRoot ? { workspaceRoot: settings.workspaceRoot } : {}),
        // The agent's tools reach its run through this API with the job token of its claim.
        agentHost: apiAgentHost({ apiUrl: choice.url }),
      },
      onEvent: (e) => void this.say(e),
    });
    // Listening with `on`, not `once`: an agent framework exits the process on a signal nobody
    // else listens to any more (the openai-agents tracing provider), which would skip the stop.
    const stop = () => {
      void runner.stop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    runner.start();
    await this.say({
      type: 'ready',
      subject: me.subject,
      namespace: me.namespace,
      labels,
      concurrency: this.flags.concurrency,
    });
    await runner.done;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await stopCliTracing();
    await this.say({ type: 'stopped' });
    return ExitCode.Ok;
  }

  /** One line per event (a JSON line with --json). */
  private say(e: RunnerLine): Promise<void> {
    if (this.jsonMode) return outJsonLine({ ...e, at: new Date().toISOString() });
    return out(describe(e));
  }
}

function describe(e: RunnerLine): string {
  const job = (j: { runId: string; nodeId: string; attempt: number; iteration?: number }) =>
    `${j.runId} ${j.nodeId}${j.iteration !== undefined ? `[${j.iteration}]` : ''} attempt ${j.attempt}`;
  switch (e.type) {
    case 'ready':
      return `agent runner ${e.subject} (namespace ${e.namespace}) serving ${e.labels.join(', ')}, ${e.concurrency} at a time`;
    case 'claimed':
      return `claimed ${job(e.job)}${e.deliveries > 1 ? ` (delivery ${e.deliveries})` : ''}`;
    case 'finished':
      return `${e.outcome} ${job(e.job)}${e.errorCode ? ` (${e.errorCode})` : ''}`;
    case 'lost':
      return `lost ${job(e.job)}: ${e.reason}`;
    case 'released':
      return `released ${job(e.job)}`;
    case 'error':
      return `error: ${e.message}`;
    case 'stopped':
      return 'agent runner stopped';
  }
}
