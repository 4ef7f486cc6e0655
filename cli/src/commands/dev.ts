import { Flags } from '@oclif/core';
import type { AddressInfo } from 'node:net';
import { canvasRoot } from '@aob/canvas';
import { enableRunContext, startMetrics } from '@aob/engine';
import {
  Fanout,
  ListenerDeltaSource,
  ListenerLiveSource,
  TimelineStreams,
  createApiServer,
  issueToken,
} from '@aob/control';
import { AobCommand } from '../lib/base.js';
import { openEngine, startCliTracing, stopCliTracing } from '../lib/engine.js';
import { localControlPlane } from '../lib/local-plane.js';
import { unreachable } from '../lib/errors.js';
import { engineFlags } from '../lib/flags.js';
import { err, out, outJson } from '../lib/output.js';
import { engineSettings } from '../lib/settings.js';
import { ensureAdminToken } from '../lib/tokens.js';

export default class Dev extends AobCommand<typeof Dev> {
  static override summary =
    'Serve the canvas and the API (REST and SSE timelines) on the local store, in one process.';
  static override description = `Prints a URL that opens the canvas signed in (the token is in the URL's fragment, which no server sees; it is revoked when aob dev stops). For the canvas and for other terminals (AOB_SERVER=<the URL printed> AOB_TOKEN=…): the control plane over the embedded store under AOB_HOME, runs driven in this process (as aob run start does), live timelines from its in-process events. When the store has no live admin token yet, one is created and printed with the export lines to paste; otherwise create more with aob token create (without AOB_SERVER it writes to AOB_HOME). With --json, prints one JSON document once listening ({url, home, token?, tokenId?}). It runs the scheduler of the store's schedules (aob schedule create): their ticks' runs start and are driven here. GET /metrics answers the engine's metrics as Prometheus text without a token, to clients on loopback only (403 from anywhere else). Stops cleanly on Ctrl-C or SIGTERM (exit 0).`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --port 9090 --handlers ./handlers.mjs',
  ];

  static override flags = {
    port: Flags.integer({
      description: 'Port to listen on (0: any free port).',
      default: 8080,
      min: 0,
      max: 65535,
    }),
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    ...engineFlags,
  };

  protected async perform(): Promise<number> {
    const { flags } = this;
    // aob dev is the server: AOB_SERVER (perhaps pasted from its own output) does not apply here.
    const settings = engineSettings(process.env, process.cwd(), {
      handlers: flags.handlers,
      allowPrivateNetwork: flags['allow-private-network'],
    });
    // Metrics on (GET /metrics below): the only CLI command that installs a MeterProvider.
    const metrics = await startMetrics({ serviceName: 'aob-dev' });
    let engine;
    try {
      engine = await openEngine(settings);
    } catch (e) {
      await metrics.shutdown();
      throw e;
    }
    // Traced, its HTTP and MCP spans continue callers' traces across awaits. Untraced, nothing
    // needs that, and the AsyncLocalStorage it takes would cost every promise a hook.
    if ((await startCliTracing()).enabled) enableRunContext();
    const plane = localControlPlane(engine);
    // The store's schedules tick here while aob dev runs (their runs are driven here too).
    engine.startScheduler();
    const fanout = new Fanout({
      store: engine.store,
      source: new ListenerLiveSource((listener) => engine.onEvent(listener)),
      deltas: new ListenerDeltaSource((listener) => engine.onDelta(listener)),
      onError: (e) => process.emitWarning(`aob dev: store read failed: ${(e as Error).message}`),
    });
    await fanout.start();
    const timelines = new TimelineStreams(fanout);
    const canvas = canvasRoot();
    const app = await createApiServer({
      plane,
      tokens: engine.store,
      timelines,
      mcp: { version: this.config.version, ...settings.mcpHostRules },
      ...(canvas ? { canvasRoot: canvas } : {}),
      // Prometheus text without a token, to this machine's clients only (loopback; 403 to others).
      metrics: metrics.handler,
    });
    // The browser's session (issued once listening): a token for this process's life only.
    const browserSession: { tokenId?: string } = {};

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        // Open timelines end (clients reconnect to the next server), then nothing new is taken.
        timelines.close();
        await fanout.stop();
        await app.close();
        if (browserSession.tokenId) {
          await engine.store.revokeToken(browserSession.tokenId, Date.now());
        }
        await engine.close();
        await stopCliTracing();
        await metrics.shutdown();
      })());
    try {
      await app.listen({ port: flags.port, host: flags.host });
    } catch (e) {
      await stop();
      throw unreachable(
        'LISTEN_FAILED',
        `cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}`,
      );
    }
    const { port } = app.server.address() as AddressInfo;
    const host = flags.host.includes(':') ? `[${flags.host}]` : flags.host;
    const url = `http://${host}:${port}`;
    const admin = await ensureAdminToken(engine.store, 'aob dev', this.defaultActor());
    // After the bootstrap check: this token must not count as the store's admin.
    const browser = await issueToken(
      engine.store,
      { subject: this.defaultActor(), role: 'admin', groups: [], namespace: 'default' },
      'aob dev (canvas session)',
      Date.now(),
    );

    browserSession.tokenId = browser.view.tokenId;
    const openUrl = `${url}/runs#token=${browser.token}`;
    if (this.jsonMode) {
      await outJson({
        url,
        ...(canvas ? { canvas: openUrl } : {}),
        home: settings.home,
        ...(admin ? { token: admin.token, tokenId: admin.tokenId, subject: admin.subject } : {}),
      });
    } else {
      await out(`aob dev: API on ${url} (store ${settings.home}); Ctrl-C stops it`);
      await (canvas
        ? out(`open the canvas (signed in as ${this.defaultActor()}): ${openUrl}`)
        : err('the canvas is not built (npm run build): serving the API only'));
      if (admin) {
        await out([
          `admin token for ${admin.subject} (shown once; only its hash is stored):`,
          `  export AOB_SERVER=${url} AOB_TOKEN=${admin.token}`,
        ]);
      } else {
        await err(
          `the store has admin tokens already; make another with: aob token create --role admin --subject <you>  (then export AOB_SERVER=${url} AOB_TOKEN=…)`,
        );
      }
    }

    return new Promise<number>((resolve) => {
      const onSignal = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        void stop()
          .catch((e: unknown) => process.emitWarning(`aob dev: stopping: ${(e as Error).message}`))
          .finally(() => resolve(0));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  }
}
