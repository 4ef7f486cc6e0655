// Issue 18 item 4: how soon a restarted consumer gets its partitions back on Kafka, per client
// library. A consumer process reads a topic of --partitions partitions in a fresh group while this
// process produces a message every --interval-ms (round-robin over the partitions); once it has
// consumed for --settle-ms it is killed with SIGKILL and a new process of the same client, group
// and (for static membership) the same group.instance.id is started at once. The figure is the
// time from starting the new process to the first message it receives, as this process sees it
// (the child writes a line on stdout at that moment). The child's own clock splits it: Node start
// and loading the client, joining the group (the assignment), the first fetch.
//
// Cases (--cases, comma-separated; each round runs every case once, in a rotating order):
// - kafkajs: kafkajs as aob's bus configures it (KafkaBus/GroupMember): dynamic membership,
//   sessionTimeout --session-ms (default 6 000, a default broker's floor), heartbeat a tenth of
//   it, rebalanceTimeout 60 000, maxWaitTimeInMs 20 (bench/runner-kill.mjs), fromBeginning.
// - kafkajs-short: the same with sessionTimeout --short-session-ms (default 1 000, the lowest
//   AOB_KAFKA_SESSION_TIMEOUT_MS accepts; the test broker's floor is 500 ms, a default broker
//   refuses anything under 6 000).
// - kafkajs-static: kafkajs with groupInstanceId (KIP-345 static membership), which aob's install
//   adds to kafkajs 2.2.4 (patches/kafkajs+2.2.4.patch), the --session-ms session: what KafkaBus
//   does with AOB_KAFKA_INSTANCE_ID set.
// - platformatic-static: @platformatic/kafka (bench/peers) with groupInstanceId (KIP-345 static
//   membership), the same session timeout, heartbeat and maxWaitTime.
// - platformatic-dynamic: @platformatic/kafka without groupInstanceId: the control that tells the
//   client apart from the membership model.
//
// --with-engine: each consumer process imports @aob/engine (built) before its client, as a runner
// process does at start, so the figure is what a restarted runner would see. The dead member's
// session keeps running meanwhile: a wait for it overlaps the new process's start.
//
// Kafka: KAFKA_BROKERS, else a private Kafka 3.9.2 started with the integration tests' launcher
// (scripts/services/kafka/launcher.ts, through vite-node) with the broker settings CI uses, and
// stopped at the end. @platformatic/kafka comes from bench/peers: `cd bench/peers && npm ci`.
//
//   node bench/kafka-failover.mjs [--rounds 5] [--partitions 8] [--interval-ms 20]
//     [--settle-ms 3000] [--session-ms 6000] [--short-session-ms 1000]
//     [--cases kafkajs,kafkajs-short,kafkajs-static,platformatic-static,platformatic-dynamic]
//     [--with-engine]
//     [--json]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(HERE);
const CASES = [
  'kafkajs',
  'kafkajs-short',
  'kafkajs-static',
  'platformatic-static',
  'platformatic-dynamic',
];
const REBALANCE_TIMEOUT_MS = 60_000; // KafkaBus's default
const MAX_WAIT_MS = 20; // bench/runner-kill.mjs's maxWaitTimeInMs
/** Longest a consumer process may take to receive its first message before the round fails. */
const FIRST_MESSAGE_TIMEOUT_MS = 60_000;

if (process.argv[2] === '--child') await child(process.argv.slice(3));
else await parent();

// ---------------------------------------------------------------------------------------------
// The consumer process: loads one client, joins the group, reports on stdout, runs until killed.
// Nothing else is loaded here (but @aob/engine first with --with-engine), so the start-up measured
// is Node's and the client's.

async function child([kind, brokers, topic, group, instance, sessionMs, withEngine]) {
  const say = (ev, extra = {}) =>
    process.stdout.write(`${JSON.stringify({ ev, ms: performance.now(), ...extra })}\n`);
  if (withEngine === 'engine') {
    await import('@aob/engine');
    say('engine');
  }
  const session = Number(sessionMs);
  let first = true;
  const onMessage = (partition, offset) => {
    if (!first) return;
    first = false;
    say('first', { partition, offset: String(offset) });
  };
  if (kind.startsWith('kafkajs')) {
    const { Kafka, logLevel } = (await import('kafkajs')).default;
    say('loaded');
    const kafka = new Kafka({ clientId: 'aob', brokers: [brokers], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({
      groupId: group,
      ...(kind === 'kafkajs-static' ? { groupInstanceId: instance } : {}),
      sessionTimeout: session,
      heartbeatInterval: Math.max(100, Math.floor(session / 10)),
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      maxWaitTimeInMs: MAX_WAIT_MS,
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) =>
      say('joined', { partitions: Object.values(e.payload.memberAssignment).flat().length }),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        if (!batch.isEmpty()) onMessage(batch.partition, batch.messages[0].offset);
      },
    });
  } else {
    const require = createRequire(join(HERE, 'peers', 'package.json'));
    const { Consumer, stringDeserializers } = await import(
      pathToFileURL(require.resolve('@platformatic/kafka')).href
    );
    say('loaded');
    const consumer = new Consumer({
      clientId: 'aob',
      bootstrapBrokers: [brokers],
      groupId: group,
      ...(kind === 'platformatic-static' ? { groupInstanceId: instance } : {}),
      sessionTimeout: session,
      heartbeatInterval: Math.max(100, Math.floor(session / 10)),
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      maxWaitTime: MAX_WAIT_MS,
      deserializers: stringDeserializers,
    });
    consumer.on('consumer:group:join', (p) =>
      say('joined', { partitions: (p.assignments ?? []).flatMap((a) => a.partitions).length }),
    );
    const stream = await consumer.consume({
      topics: [topic],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: true,
    });
    stream.on('data', (m) => onMessage(m.partition, m.offset));
    stream.on('error', (err) => {
      say('error', { message: String(err?.message ?? err) });
      process.exit(1);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark: Kafka, the producer, the rounds.

async function parent() {
  const { median, parseArgs, progress, report } = await import('./lib/harness.mjs');
  const { default: kafkajs } = await import('kafkajs');
  const opts = parseArgs(process.argv.slice(2), {
    rounds: 5,
    partitions: 8,
    intervalMs: 20,
    settleMs: 3_000,
    sessionMs: 6_000,
    shortSessionMs: 1_000,
    cases: CASES.join(','),
    withEngine: false,
    json: false,
  });
  const cases = opts.cases.split(',').filter(Boolean);
  for (const c of cases) if (!CASES.includes(c)) throw new Error(`unknown case ${c}`);

  const kafka = await startKafka(progress);
  const children = new Set();
  const cleanup = () => {
    for (const c of children) c.kill('SIGKILL');
    kafka.kill();
  };
  process.once('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

  const client = new kafkajs.Kafka({
    clientId: 'aob-bench-failover',
    brokers: [kafka.brokers],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = client.admin();
  const producer = client.producer();
  await Promise.all([admin.connect(), producer.connect()]);

  const tag = randomBytes(3).toString('hex');
  const samples = Object.fromEntries(cases.map((c) => [c, []]));
  const topics = [];
  const started = new Date().toISOString();
  const loadBefore = loadavg()[0];
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      // Rotate the order so that no client always follows the same one.
      const order = cases.map((_, i) => cases[(i + round - 1) % cases.length]);
      for (const kind of order) {
        const sample = await runCase(kind, round);
        samples[kind].push(sample);
        const s = sample;
        progress(
          `round ${round} ${kind}: ${Math.round(s.failoverMs)} ms (` +
            (s.engineMs === null ? '' : `engine loaded at ${Math.round(s.engineMs)}, `) +
            `client loaded at ${Math.round(s.loadedMs)}, ` +
            `join ${s.joinedMs === null ? '?' : Math.round(s.joinedMs - s.loadedMs)}, ` +
            `first fetch ${s.joinedMs === null ? '?' : Math.round(s.firstMs - s.joinedMs)}; ` +
            `killed member's session ${s.sessionMs} ms)`,
        );
      }
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  const loadAfter = loadavg()[0];

  const summary = Object.fromEntries(
    cases.map((c) => {
      const f = samples[c].map((s) => s.failoverMs);
      return [
        c,
        {
          medianMs: median(f),
          minMs: Math.min(...f),
          maxMs: Math.max(...f),
          samplesMs: f.map(Math.round),
          medianEngineMs: opts.withEngine ? median(samples[c].map((s) => s.engineMs)) : null,
          medianLoadedMs: median(samples[c].map((s) => s.loadedMs)),
          medianJoinMs: median(
            samples[c].filter((s) => s.joinedMs !== null).map((s) => s.joinedMs - s.loadedMs),
          ),
        },
      ];
    }),
  );
  const result = {
    bench: 'kafka-failover',
    started,
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      node: process.version,
      loadBefore,
      loadAfter,
    },
    kafka: kafka.version,
    clients: {
      kafkajs: versionOf(createRequire(import.meta.url), 'kafkajs'),
      '@platformatic/kafka': versionOf(
        createRequire(join(HERE, 'peers', 'package.json')),
        '@platformatic/kafka',
      ),
    },
    options: opts,
    summary,
    samples,
  };
  report(opts.json, result, [
    `Kafka failover: kill -9 of a consumer, new process started at once -> its first message`,
    `(${opts.partitions} partitions, a message every ${opts.intervalMs} ms, ${opts.rounds} rounds, ` +
      (opts.withEngine ? 'each process imports @aob/engine first, ' : '') +
      `load ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)})`,
    '',
    ...cases.map((c) => {
      const s = summary[c];
      return (
        `${c.padEnd(22)} median ${String(Math.round(s.medianMs)).padStart(5)} ms   ` +
        `(client loaded at ${Math.round(s.medianLoadedMs)} ms, join ${Math.round(s.medianJoinMs)} ms)   ` +
        `samples ${s.samplesMs.join(', ')}`
      );
    }),
  ]);
  cleanup();
  process.off('exit', cleanup);
  await kafka.stop();

  /** One round of one case: a fresh topic and group, consumer A killed, consumer B timed. */
  async function runCase(kind, round) {
    const topic = `failover-${tag}-${round}-${kind}`;
    const group = `failover-${tag}-${round}-${kind}`;
    const sessionMs = kind === 'kafkajs-short' ? opts.shortSessionMs : opts.sessionMs;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: opts.partitions, replicationFactor: 1 }],
    });
    const stopProducing = produce(topic);
    try {
      const args = [kind, kafka.brokers, topic, group, `runner-${round}`, String(sessionMs)];
      args.push(opts.withEngine ? 'engine' : 'bare');
      const a = startConsumer(args);
      await a.first;
      await sleep(opts.settleMs);
      const killedAt = performance.now();
      a.proc.kill('SIGKILL');
      const b = startConsumer(args);
      const first = await b.first;
      b.proc.kill('SIGKILL');
      await Promise.all([a.exited, b.exited]);
      return {
        round,
        failoverMs: first.at - b.spawnedAt,
        afterKillMs: first.at - killedAt,
        engineMs: b.events.engine ?? null,
        loadedMs: b.events.loaded ?? null,
        joinedMs: b.events.joined ?? null,
        firstMs: b.events.first,
        partitionsAtFirstJoin: b.events.partitions ?? null,
        sessionMs,
      };
    } finally {
      await stopProducing();
      // Deleted at the end: kafkajs's producer keeps refreshing the metadata of every topic it
      // wrote to, and fails on one that is gone.
      topics.push(topic);
    }
  }

  /** Produces to the topic's partitions in turn, one message every --interval-ms, until stopped. */
  function produce(topic) {
    let running = true;
    let i = 0;
    const loop = (async () => {
      while (running) {
        const next = performance.now() + opts.intervalMs;
        await producer.send({
          topic,
          messages: [{ partition: i % opts.partitions, value: String(i) }],
        });
        i++;
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
    return async () => {
      running = false;
      await loop;
    };
  }

  /** A consumer process; `first` resolves when it reports its first message. */
  function startConsumer(args) {
    const spawnedAt = performance.now();
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(proc);
    const events = {};
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4_000)));
    const exited = new Promise((resolve) => proc.once('exit', resolve)).then(() =>
      children.delete(proc),
    );
    const first = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(
          new Error(`${args[0]}: no message within ${FIRST_MESSAGE_TIMEOUT_MS} ms\n${stderr}`),
        );
      }, FIRST_MESSAGE_TIMEOUT_MS);
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const at = performance.now();
        let e;
        try {
          e = JSON.parse(line);
        } catch {
          return;
        }
        if (e.ev === 'joined' && events.joined === undefined) {
          events.joined = e.ms;
          events.partitions = e.partitions;
        } else if (e.ev === 'loaded') events.loaded = e.ms;
        else if (e.ev === 'engine') events.engine = e.ms;
        else if (e.ev === 'first') {
          events.first = e.ms;
          clearTimeout(timer);
          resolve({ at });
        } else if (e.ev === 'error') reject(new Error(`${args[0]}: ${e.message}`));
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (events.first === undefined) {
          reject(new Error(`${args[0]} exited (${signal ?? code}) before a message:\n${stderr}`));
        }
      });
    });
    return { proc, spawnedAt, events, first, exited };
  }
}

/**
 * KAFKA_BROKERS, or a private broker: the integration tests' launcher run by vite-node from a
 * small module written to a temporary directory; it stops the broker on SIGTERM or when this
 * process goes away (its stdin closes).
 */
async function startKafka(progress) {
  if (process.env.KAFKA_BROKERS) {
    return {
      brokers: process.env.KAFKA_BROKERS.split(',')[0],
      version: 'KAFKA_BROKERS',
      kill: () => undefined,
      stop: async () => undefined,
    };
  }
  progress('starting Kafka (scripts/services/kafka/launcher.ts)…');
  const dir = mkdtempSync(join(tmpdir(), 'aob-failover-'));
  const entry = join(dir, 'kafka.ts');
  const launcher = join(REPO, 'scripts/services/kafka/launcher.ts');
  writeFileSync(
    entry,
    `import { launchKafka } from ${JSON.stringify(launcher)};
const kafka = await launchKafka();
process.stdout.write('KAFKA_BROKERS=' + kafka.brokers + '\\n');
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void kafka.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
`,
  );
  const proc = spawn(join(REPO, 'node_modules/.bin/vite-node'), [entry], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  const brokers = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^KAFKA_BROKERS=(.+)$/m.exec(out);
      if (m) resolve(m[1].trim());
    });
    proc.once('exit', (code) => reject(new Error(`the Kafka launcher exited with ${code}`)));
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const version = /KAFKA_VERSION = '([^']+)'/.exec(readFileSync(launcher, 'utf8'))?.[1];
  return {
    brokers,
    version,
    /** Synchronous, for the exit guard: the launcher stops the broker when its stdin closes. */
    kill: () => proc.stdin.end(),
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function versionOf(require, name) {
  try {
    const main = require.resolve(name);
    for (let d = dirname(main); d !== dirname(d); d = dirname(d)) {
      try {
        const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8'));
        if (pkg.name === name) return pkg.version;
      } catch {
        // no package.json at this level
      }
    }
  } catch {
    return null;
  }
  return null;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
