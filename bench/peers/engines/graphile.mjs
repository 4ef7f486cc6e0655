// graphile-worker: a job queue on this machine's PostgreSQL (fsync on, synchronous_commit on).
// A chain is a job per step, each adding the next with helpers.addJob before it returns (the
// documented way to chain jobs; new jobs wake the worker through LISTEN/NOTIFY); a run has ended
// when its last step has run. One worker process with concurrency 10 (its pool's default size).
// There is no fan-out with a join: a join would be application code (a counter row and a last
// job), so that row is "—". Recovery: a job locked by a worker killed with kill -9 stays locked
// until its 4-hour expiry; the new process first calls workerUtils.forceUnlockWorkers with the
// ids of the workers holding locks (an operator's step: it must know they are dead), then runs.
import { Logger, makeWorkerUtils, run } from 'graphile-worker';

export const durability =
  'PostgreSQL job table, fsync=on, synchronous_commit=on: the next job committed before a step returns';

const quiet = new Logger(() => () => undefined);

export async function open({ db, onStep, recoveryStep, resume }) {
  const waiting = new Map(); // run key -> resolve
  const ended = (key) => new Promise((resolve) => waiting.set(key, resolve));
  // The resumed run's end is awaited from before the worker starts.
  const resumed = resume ? ended(resume) : undefined;
  if (resume) {
    const utils = await makeWorkerUtils({ connectionString: db, logger: quiet });
    const { rows } = await utils.withPgClient((client) =>
      client.query(
        'select distinct locked_by from graphile_worker.jobs where locked_by is not null',
      ),
    );
    await utils.forceUnlockWorkers(rows.map((r) => r.locked_by));
    await utils.release();
  }
  const runner = await run({
    connectionString: db,
    concurrency: 10,
    noHandleSignals: true,
    logger: quiet,
    taskList: {
      step: async ({ key, i, n, slow }, helpers) => {
        if (slow) await recoveryStep(key, `s${i}`);
        else onStep();
        if (i < n) await helpers.addJob('step', { key, i: i + 1, n, slow });
        else {
          waiting.get(key)?.();
          waiting.delete(key);
        }
      },
    },
  });
  let next = 0;
  return {
    run: async (length) => {
      const key = `r${++next}`;
      const done = ended(key);
      await runner.addJob('step', { key, i: 1, n: length });
      await done;
    },
    fanout: undefined,
    recoveryStart: async (key, length) => {
      await runner.addJob('step', { key, i: 1, n: length, slow: true });
      await ended(key);
    },
    recoveryResume: () => resumed,
    close: () => runner.stop(),
  };
}
