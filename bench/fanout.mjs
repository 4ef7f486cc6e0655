// ARCHITECTURE §11 row 6: fanout with 1,000 SSE clients, target >= 100,000 event deliveries/s.
//
// Two processes on the machine's two cores: this one is the load generator (1,000 real TCP
// sockets speaking HTTP/1.1 + SSE), a forked child is the server — the real path of the fanout
// service: events appended to the in-memory event store, announced on the in-memory bus
// (aob.workflow.events, what the orchestrator does after a commit), read by the fanout's
// BusLiveSource in its own consumer group, ordered per run by the hub, written by TimelineStreams
// to each socket. (In-memory store and bus: the figure is the fanout's own cost, not PostgreSQL's
// or Kafka's.)
//
// Per feed (one run: GET /v1/runs/:id/timeline; a namespace: GET /v1/timeline, events spread over
// --runs runs), per round:
// - throughput: --events events published as fast as the server takes them (batches of 100 per
//   turn); deliveries/s = events × clients / (first publish → the last client has the last event);
// - latency: --paced events at --rate events/s (100/s × 1,000 clients = the 100,000/s target);
//   latency = the client's receipt − the publish time carried in the event (performance.timeOrigin
//   + now() in both processes), over every event of 50 sampled clients (the others only count).
// Memory: the server's RSS and heap after the round. Figures are medians over --rounds rounds.
//
//   node bench/fanout.mjs [--clients 1000] [--events 2000] [--paced 500] [--rate 100]
//                         [--runs 20] [--rounds 3] [--feed run|namespace|both] [--json]
import { fork } from 'node:child_process';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { fmt, fmtInt, median, parseArgs, progress, report, summarise } from './lib/harness.mjs';

const now = () => performance.timeOrigin + performance.now();
const SAMPLED = 50;

if (process.argv.includes('--serve')) await serve();
else await main();

// ---------------------------------------------------------------- server (child process)

async function serve() {
  const { MemoryEventStore } = await import('@aob/store');
  const { MemoryBus } = await import('@aob/bus');
  const { Topic } = await import('@aob/core');
  const { Fanout, BusLiveSource, TimelineStreams, listenTimelines } = await import('@aob/control');
  const store = new MemoryEventStore();
  const bus = new MemoryBus();
  const source = new BusLiveSource({ bus, group: 'aob.fanout.bench', batch: 512 });
  const fanout = new Fanout({ store, source });
  await fanout.start();
  const streams = new TimelineStreams(fanout, { maxBufferedBytes: 4 * 1024 * 1024 });
  const principal = {
    subject: 'bench',
    role: 'viewer',
    namespace: 'bench',
    groups: [],
    tokenId: 't',
  };
  const server = await listenTimelines(
    streams,
    async (h) => (h ? principal : undefined),
    0,
    '127.0.0.1',
  );
  server.maxConnections = 100_000;
  const CAS = { $cas: `sha256:${'0'.repeat(64)}`, size: 2 };
  const last = new Map();
  const appendAnnounce = async (runId, e) => {
    const [env] = await store.append(runId, 'ir', last.get(runId) ?? 0, [e]);
    last.set(runId, env.seq);
    await bus.publish(Topic.events, runId, env);
  };
  process.on('message', async (m) => {
    if (m.type === 'start-runs') {
      for (const runId of m.runs) {
        await appendAnnounce(runId, {
          type: 'RunStarted',
          at: Date.now(),
          data: { workflow: { name: 'bench', version: '1' }, inputs: CAS, namespace: 'bench' },
        });
      }
      process.send({ type: 'ok' });
    } else if (m.type === 'publish') {
      // m.count events round-robin over m.runs, m.rate per second (0: as fast as possible).
      const t0 = now();
      for (let i = 0; i < m.count; i++) {
        if (m.rate > 0) {
          const due = t0 + (i * 1000) / m.rate;
          const wait = due - now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        } else if (i % 100 === 0) await new Promise((r) => setImmediate(r));
        const runId = m.runs[i % m.runs.length];
        await appendAnnounce(runId, {
          type: 'NodeLog',
          at: Date.now(),
          data: { nodeId: 'n', attempt: 1, level: 'info', message: `t=${now()}` },
        });
      }
      process.send({ type: 'published' });
    } else if (m.type === 'stats') {
      if (global.gc) global.gc();
      const mem = process.memoryUsage();
      process.send({
        type: 'stats',
        rss: mem.rss,
        heap: mem.heapUsed,
        clients: streams.size,
        cut: streams.counters.cut,
      });
    }
  });
  process.send({ type: 'ready', port: server.address().port });
}

// ---------------------------------------------------------------- load generator

async function main() {
  const opts = parseArgs(process.argv.slice(2), {
    clients: 1000,
    events: 2000,
    paced: 500,
    rate: 100,
    runs: 20,
    rounds: 3,
    feed: 'both',
    json: false,
  });
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox = [];
  const waiting = [];
  child.on('message', (m) => {
    const w = waiting.findIndex((x) => x.type === m.type);
    if (w >= 0) waiting.splice(w, 1)[0].resolve(m);
    else inbox.push(m);
  });
  const expect = (type) => {
    const i = inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
    return new Promise((resolve) => waiting.push({ type, resolve }));
  };
  const { port } = await expect('ready');
  const feeds = opts.feed === 'both' ? ['run', 'namespace'] : [opts.feed];
  const results = {};
  try {
    for (const feed of feeds) {
      const rounds = [];
      for (let round = 0; round < opts.rounds; round++) {
        const tag = `${feed}-${round}`;
        const runs = Array.from(
          { length: feed === 'run' ? 1 : opts.runs },
          (_, i) => `bench-${tag}-${i}`,
        );
        child.send({ type: 'start-runs', runs });
        await expect('ok');
        const path = feed === 'run' ? `/v1/runs/${runs[0]}/timeline` : '/v1/timeline';
        const clients = await openClients(port, path, opts.clients);
        // Let every client's subscription (and history read) settle.
        await waitFor(() => clients.every((c) => c.open), 30_000);
        await new Promise((r) => setTimeout(r, 500));
        // Throughput.
        for (const c of clients) c.reset(opts.events);
        const t0 = now();
        child.send({ type: 'publish', count: opts.events, rate: 0, runs });
        await waitFor(() => clients.every((c) => c.done), 120_000);
        const elapsed = (Math.max(...clients.map((c) => c.doneAt)) - t0) / 1000;
        const deliveries = (opts.events * opts.clients) / elapsed;
        await expect('published');
        // Latency at the target rate.
        for (const c of clients) c.reset(opts.paced);
        child.send({ type: 'publish', count: opts.paced, rate: opts.rate, runs });
        await waitFor(() => clients.every((c) => c.done), 120_000);
        await expect('published');
        const lat = summarise(clients.flatMap((c) => c.latencies));
        child.send({ type: 'stats' });
        const stats = await expect('stats');
        for (const c of clients) c.socket.destroy();
        rounds.push({
          deliveriesPerS: deliveries,
          elapsedS: elapsed,
          p50Ms: lat.p50,
          p99Ms: lat.p99,
          rssMiB: stats.rss / 2 ** 20,
          heapMiB: stats.heap / 2 ** 20,
          cut: stats.cut,
        });
        progress(
          `${feed} round ${round + 1}: ${fmtInt(deliveries)} deliveries/s, latency p50 ${fmt(lat.p50, 2)} ms p99 ${fmt(lat.p99, 2)} ms, rss ${fmt(stats.rss / 2 ** 20, 0)} MiB`,
        );
        await new Promise((r) => setTimeout(r, 300));
      }
      results[feed] = {
        rounds,
        deliveriesPerS: median(rounds.map((r) => r.deliveriesPerS)),
        p50Ms: median(rounds.map((r) => r.p50Ms)),
        p99Ms: median(rounds.map((r) => r.p99Ms)),
        rssMiB: median(rounds.map((r) => r.rssMiB)),
        heapMiB: median(rounds.map((r) => r.heapMiB)),
      };
    }
  } finally {
    child.kill();
  }
  report(opts.json, { benchmark: 'fanout', target: 100_000, opts, results }, [
    `fanout, ${opts.clients} SSE clients, medians of ${opts.rounds} rounds (server and load generator in separate processes)`,
    ...feeds.map((f) => {
      const r = results[f];
      return `  ${f.padEnd(9)} ${fmtInt(r.deliveriesPerS).padStart(10)} deliveries/s (target 100,000)   latency at ${opts.rate} ev/s: p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms   server rss ${fmt(r.rssMiB, 0)} MiB, heap ${fmt(r.heapMiB, 0)} MiB`;
    }),
  ]);
}

function waitFor(pred, ms) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      if (pred()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error(`fanout bench: timed out after ${ms} ms`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

/** Raw sockets: a request, then frames counted by their `event: NodeLog` line. */
async function openClients(port, path, n) {
  const clients = [];
  for (let i = 0; i < n; i++) {
    const sampled = i < SAMPLED;
    const c = {
      socket: connect(port, '127.0.0.1'),
      open: false,
      want: 0,
      got: 0,
      done: false,
      doneAt: 0,
      latencies: [],
      tail: '',
      reset(want) {
        this.want = want;
        this.got = 0;
        this.done = false;
        this.latencies = [];
      },
    };
    c.socket.setNoDelay(true);
    c.socket.setEncoding('latin1');
    c.socket.on('error', () => undefined);
    c.socket.on('data', (chunk) => {
      const at = now();
      if (!c.open && chunk.includes('200 OK')) c.open = true;
      const text = c.tail + chunk;
      let from = 0;
      for (;;) {
        const i = text.indexOf('event: NodeLog', from);
        if (i < 0) break;
        if (sampled) {
          const m = text.indexOf('"message":"t=', i);
          const end = m < 0 ? -1 : text.indexOf('"', m + 13);
          if (end < 0) break; // the frame continues in the next chunk
          c.latencies.push(at - Number(text.slice(m + 13, end)));
          from = end;
        } else from = i + 14;
        c.got++;
      }
      c.tail = text.slice(Math.max(from, text.length - 512));
      if (c.want > 0 && c.got >= c.want && !c.done) {
        c.done = true;
        c.doneAt = at;
      }
    });
    c.socket.write(`GET ${path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer bench\r\n\r\n`);
    clients.push(c);
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 10));
  }
  return clients;
}
