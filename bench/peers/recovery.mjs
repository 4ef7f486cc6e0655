// kill -9 recovery, one round for one engine, the approach of bench/local-recovery.mjs: a chain
// of --length steps, each appending start/end lines (pid, wall-clock time) to a log and sleeping
// --step-ms; the process running it is killed with SIGKILL once --kill-after steps have ended and
// the next has begun; a new process is started at once and must finish the run. Figures: kill →
// the first step the new process starts (Date.now in both: one machine, one clock), finished steps
// executed again (should be 0) and whether the step in flight at the kill ran again.
//
// aob-normal and aob-full are bench/local-recovery.mjs itself (`aob run start`, kill -9, `aob run
// resume`; AOB_DURABILITY=full for aob-full), one round. The peers run workload.mjs
// recovery-start / recovery-resume on --db.
//
//   node bench/peers/recovery.mjs --engine aob-normal|aob-full|dbos|langgraph|graphile
//                                 [--db URL] [--length 6] [--step-ms 150] [--kill-after 2] [--json]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, report } from '../lib/harness.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const opts = parseArgs(process.argv.slice(2), {
  engine: '',
  db: '',
  length: 6,
  stepMs: 150,
  killAfter: 2,
  json: false,
});

/** Starts a node script; `exited` resolves with its code, signal, stdout and stderr. */
function node(args, env = process.env) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exited };
}

async function aob(full) {
  const { exited } = node(
    [
      join(HERE, '..', 'local-recovery.mjs'),
      ...['--rounds', '1', '--length', String(opts.length), '--task-ms', String(opts.stepMs)],
      ...['--kill-after', String(opts.killAfter), '--json'],
    ],
    { ...process.env, AOB_DURABILITY: full ? 'full' : 'normal' },
  );
  const out = await exited;
  if (out.code !== 0) throw new Error(`local-recovery.mjs exited ${out.code}: ${out.stderr}`);
  const [r] = JSON.parse(out.stdout).current.rounds;
  return {
    killToFirstStepMs: r.killToFirstStepMs,
    resumeStartToFirstStepMs: r.resumeStartToFirstStepMs,
    reExecutedFinished: r.reExecutedFinished,
    inFlightExecutedAgain: r.inFlightExecutedAgain,
  };
}

async function peer() {
  const work = mkdtempSync(join(tmpdir(), 'aob-peers-recovery-'));
  const execLog = join(work, 'executions.ndjson');
  const key = `recovery-${process.pid}-${Date.now()}`;
  const args = (workload) => [
    join(HERE, 'workload.mjs'),
    ...['--engine', opts.engine, '--workload', workload, '--db', opts.db, '--key', key],
    ...['--exec-log', execLog, '--length', String(opts.length), '--step-ms', String(opts.stepMs)],
  ];
  const lines = () =>
    existsSync(execLog)
      ? readFileSync(execLog, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
          .filter((l) => l.run === key)
      : [];
  try {
    const starter = node(args('recovery-start'));
    let killedAt;
    const since = Date.now();
    while (killedAt === undefined) {
      if (Date.now() - since > 60_000)
        throw new Error(`${opts.engine}: never reached step ${opts.killAfter + 1}`);
      const l = lines();
      const ended = l.filter((x) => x.phase === 'end').length;
      if (ended >= opts.killAfter && l.length - ended > ended) {
        starter.child.kill('SIGKILL');
        killedAt = Date.now();
      } else await new Promise((r) => setTimeout(r, 5));
    }
    await starter.exited;
    const before = lines();
    const finished = new Set(before.filter((x) => x.phase === 'end').map((x) => x.node));
    const inFlight = before.find((x) => x.phase === 'start' && !finished.has(x.node)).node;
    const resumeStartedAt = Date.now();
    const resumer = node(args('recovery-resume'));
    const timeout = setTimeout(() => resumer.child.kill('SIGKILL'), 60_000);
    const out = await resumer.exited;
    clearTimeout(timeout);
    if (out.code !== 0)
      throw new Error(
        `${opts.engine}: resume exited ${out.code} ${out.signal ?? ''}: ${out.stderr}`,
      );
    const resumed = lines().filter((x) => x.phase === 'start' && x.pid === resumer.child.pid);
    const ends = new Set(
      lines()
        .filter((x) => x.phase === 'end')
        .map((x) => x.node),
    );
    if (ends.size !== opts.length) throw new Error(`${opts.engine}: the run did not finish`);
    return {
      killToFirstStepMs: resumed[0].at - killedAt,
      resumeStartToFirstStepMs: resumed[0].at - resumeStartedAt,
      reExecutedFinished: resumed.filter((x) => finished.has(x.node)).length,
      inFlightExecutedAgain: resumed.filter((x) => x.node === inFlight).length,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const result =
  opts.engine === 'aob-normal' || opts.engine === 'aob-full'
    ? await aob(opts.engine === 'aob-full')
    : await peer();
report(opts.json, { engine: opts.engine, workload: 'recovery', ...result }, [
  JSON.stringify(result),
]);
