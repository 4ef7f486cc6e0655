import { Flags } from '@oclif/core';
import { runServer, serviceConfig, stopOnSignals } from '@aob/engine';
import type { RunningServer } from '@aob/engine';
import { AobCommand } from '../lib/base.js';
import { badInput } from '../lib/errors.js';

export default class Server extends AobCommand<typeof Server> {
  static override summary = 'Run services of the cluster topology in this process.';
  static override description = `Runs any subset of the services (api, orchestrator, runner, fanout, hitl, validator) on PostgreSQL, Kafka (or Redis Streams) and S3, configured by the environment (deploy/README.md lists every variable). Serves GET /healthz, /readyz and /metrics (Prometheus text) on AOB_HTTP_PORT (default 8080), logs JSON lines on stdout (AOB_LOG_LEVEL), and on SIGTERM or SIGINT stops taking work, finishes or releases what it holds, and exits 0.`;
  static override examples = [
    'AOB_DATABASE_URL=postgres://… AOB_KAFKA_BROKERS=127.0.0.1:9092 AOB_S3_BUCKET=aob <%= config.bin %> <%= command.id %> --services orchestrator,runner',
  ];

  static override flags = {
    services: Flags.string({
      description: 'Comma-separated services to run (default: AOB_SERVICES).',
    }),
  };

  protected async perform(): Promise<number> {
    let config;
    try {
      config = serviceConfig(
        process.env,
        this.flags.services === undefined ? undefined : this.flags.services.split(','),
      );
    } catch (err) {
      const e = err as { message: string; details?: { problems?: [] } };
      throw badInput('BAD_CONFIG', e.message, e.details?.problems);
    }
    // Each service's module is loaded only when this process runs it: a runner's start does not
    // compile the API's HTTP, gRPC and MCP stack (a restarted process is back sooner).
    const server: RunningServer = await runServer(config, {
      api: async (c, a) => (await import('@aob/service-api')).startApi(c, a),
      orchestrator: async (c, a) =>
        (await import('@aob/service-orchestrator')).startOrchestrator(c, a),
      runner: async (c, a) => (await import('@aob/service-runner')).startRunner(c, a),
      fanout: async (c, a) => (await import('@aob/service-fanout')).startFanout(c, a),
      hitl: async (c, a) => (await import('@aob/service-hitl')).startHitl(c, a),
      validator: async (c, a) => (await import('@aob/service-validator')).startValidator(c, a),
    });
    stopOnSignals(server);
    // Serves until a signal stops it (stopOnSignals exits the process).
    return new Promise<number>(() => undefined);
  }
}
