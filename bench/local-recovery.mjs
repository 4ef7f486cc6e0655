// Local recovery (issue 18 item 7): `aob run start` killed with SIGKILL mid-step, then
// `aob run resume` started at once — how long from the kill to the first step the new process
// executes, and what was executed again.
//
// Each round: a fresh home (file store, the default); a chain of --length task nodes, each
// sleeping --task-ms; `aob run start` is killed once --kill-after steps have finished and the
// next has begun; `aob run resume <run>` starts right after the kill and must complete the run.
// Executions are counted by the handler itself: one line per execution appended to a file, with
// its pid and wall-clock time (Date.now: the processes share the machine's clock).
//
// Figures per round: kill → first resumed step (the handler's first line from the new process);
// resume process start → first resumed step; steps finished before the kill and executed again
// (must be 0); the step in flight at the kill executed again (expected: once); and, for scale,
// the wall time of `aob run get <run>` on the same home right after (a CLI process that starts,
// opens the store and reads: the floor under the resume's own figure). Medians over --rounds. Before item 7 the resume waited out the dead process's lease (3 s from its last
// renewal).
//
//   node bench/local-recovery.mjs [--rounds 7] [--length 6] [--task-ms 150] [--kill-after 2]
//                                 [--baseline DIR] [--json]
//
// --baseline DIR alternates rounds with another built checkout's CLI (DIR/cli/bin/run.js).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { fmt, median, parseArgs, progress, report } from './lib/harness.mjs';

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const TARGET_MS = 500;
const opts = parseArgs(process.argv.slice(2), {
  rounds: 7,
  length: 6,
  taskMs: 150,
  killAfter: 2,
  baseline: '',
  json: false,
});

const work = mkdtempSync(join(tmpdir(), 'aob-recovery-'));
const execLog = join(work, 'executions.ndjson');
const handlers = join(work, 'handlers.mjs');
writeFileSync(
  handlers,
  `import { appendFileSync } from 'node:fs';
export async function step(_input, ctx) {
  appendFileSync(${JSON.stringify(execLog)}, JSON.stringify({ runId: ctx.runId, nodeId: ctx.nodeId, pid: process.pid, at: Date.now(), phase: 'start' }) + '\\n');
  await new Promise((r) => setTimeout(r, ${opts.taskMs}));
  appendFileSync(${JSON.stringify(execLog)}, JSON.stringify({ runId: ctx.runId, nodeId: ctx.nodeId, pid: process.pid, at: Date.now(), phase: 'end' }) + '\\n');
  return ctx.nodeId;
}
`,
);
const workflow = join(work, 'chain.json');
const nodes = Array.from({ length: opts.length }, (_, i) => ({
  id: `s${i + 1}`,
  type: 'task',
  with: { handler: 'step' },
}));
writeFileSync(
  workflow,
  JSON.stringify({
    name: 'bench-recovery',
    version: '1',
    nodes,
    edges: nodes.slice(1).map((n, i) => ({ from: `s${i + 1}`, to: n.id })),
  }),
);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function executions() {
  if (!existsSync(execLog)) return [];
  return readFileSync(execLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** Starts `node aob …args` with AOB_HOME = home; resolves with its exit code when it ends. */
function aob(cli, home, args) {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, AOB_HOME: home },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

async function round(cli, tag, index) {
  const home = join(work, `home-${tag}-${index}`);
  writeFileSync(execLog, '');
  const starter = aob(cli, home, ['run', 'start', workflow, '--handlers', handlers]);
  // Kill once --kill-after steps have ended and the next one has started.
  let killedAt;
  for (let waited = 0; killedAt === undefined; waited += 5) {
    if (waited > 60_000)
      throw new Error(`[${tag}] the run never reached step ${opts.killAfter + 1}`);
    const lines = executions();
    const ended = lines.filter((l) => l.phase === 'end').length;
    const started = lines.filter((l) => l.phase === 'start').length;
    if (ended >= opts.killAfter && started > ended) {
      starter.child.kill('SIGKILL');
      killedAt = Date.now();
    } else await sleep(5);
  }
  await starter.exited;
  const before = executions();
  const runId = before[0].runId;
  const finished = new Set(before.filter((l) => l.phase === 'end').map((l) => l.nodeId));
  const inFlight = before.find((l) => l.phase === 'start' && !finished.has(l.nodeId)).nodeId;

  const resumeStartedAt = Date.now();
  const resumer = aob(cli, home, ['run', 'resume', runId]);
  const outcome = await resumer.exited;
  if (outcome.code !== 0) {
    throw new Error(`[${tag}] aob run resume exited ${outcome.code}: ${outcome.stderr.trim()}`);
  }
  const resumed = executions().filter((l) => l.phase === 'start' && l.pid === resumer.child.pid);
  if (resumed.length === 0) throw new Error(`[${tag}] the resumed process executed nothing`);
  const first = resumed[0].at;
  const getStartedAt = performance.now();
  const get = await aob(cli, home, ['run', 'get', runId]).exited;
  if (get.code !== 0) throw new Error(`[${tag}] aob run get exited ${get.code}: ${get.stderr}`);
  return {
    runGetMs: performance.now() - getStartedAt,
    killToFirstStepMs: first - killedAt,
    resumeStartToFirstStepMs: first - resumeStartedAt,
    reExecutedFinished: resumed.filter((l) => finished.has(l.nodeId)).length,
    inFlightExecutedAgain: resumed.filter((l) => l.nodeId === inFlight).length,
    completed: outcome.code === 0,
  };
}

const clis = [
  { tag: 'current', cli: join(REPO, 'cli', 'bin', 'run.js') },
  ...(opts.baseline ? [{ tag: 'baseline', cli: join(opts.baseline, 'cli', 'bin', 'run.js') }] : []),
];

try {
  const results = Object.fromEntries(clis.map((c) => [c.tag, []]));
  for (let i = 0; i < opts.rounds; i++) {
    for (const { tag, cli } of i % 2 === 0 ? clis : [...clis].reverse()) {
      const r = await round(cli, tag, i);
      results[tag].push(r);
      progress(
        `round ${i + 1} [${tag}]: kill → first resumed step ${fmt(r.killToFirstStepMs, 0)} ms (resume start → step ${fmt(r.resumeStartToFirstStepMs, 0)} ms; aob run get ${fmt(r.runGetMs, 0)} ms)`,
      );
    }
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([tag, rounds]) => [
      tag,
      {
        killToFirstStepMs: median(rounds.map((r) => r.killToFirstStepMs)),
        resumeStartToFirstStepMs: median(rounds.map((r) => r.resumeStartToFirstStepMs)),
        runGetMs: median(rounds.map((r) => r.runGetMs)),
        reExecutedFinished: rounds.reduce((a, r) => a + r.reExecutedFinished, 0),
        inFlightExecutedAgain: rounds.reduce((a, r) => a + r.inFlightExecutedAgain, 0),
        rounds,
      },
    ]),
  );
  report(
    opts.json,
    { bench: 'local-recovery', target: { killToFirstStepMs: TARGET_MS }, ...summary },
    [
      `local recovery, ${opts.rounds} rounds: aob run start killed (SIGKILL) after ${opts.killAfter} of ${opts.length} steps of ${opts.taskMs} ms, aob run resume at once (file store)`,
      ...Object.entries(summary).map(
        ([tag, s]) =>
          `[${tag}] kill → first resumed step: median ${fmt(s.killToFirstStepMs, 0)} ms (target ≤ ${TARGET_MS}); resume process start → step ${fmt(s.resumeStartToFirstStepMs, 0)} ms; aob run get ${fmt(s.runGetMs, 0)} ms; finished steps executed again: ${s.reExecutedFinished}; in-flight step executed again: ${s.inFlightExecutedAgain} of ${opts.rounds}`,
      ),
    ],
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
