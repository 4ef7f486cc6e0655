// DBOS Transact (TypeScript): workflows of steps checkpointed in its system database on this
// machine's PostgreSQL (server defaults: fsync on, synchronous_commit on — every checkpoint is
// fsynced before the next step starts). Written as DBOS's programming guide writes them:
// DBOS.registerWorkflow around a function that calls DBOS.runStep once per step; fan-out is
// Promise.all over DBOS.runStep (steps started in a fixed order, so their ids are deterministic),
// then a join step. Workflows started with DBOS.startWorkflow and awaited with getResult().
// Recovery: DBOS.launch() in a new process recovers the pending workflows of executor `local`.
import { DBOS } from '@dbos-inc/dbos-sdk';

export const durability =
  'PostgreSQL system database, fsync=on, synchronous_commit=on: each step checkpoint committed before the next step';

export async function open({ db, onStep, recoveryStep }) {
  DBOS.setConfig({
    name: 'aob-bench',
    applicationVersion: '1',
    systemDatabaseUrl: db,
    logLevel: 'error',
  });
  const noop = async () => {
    onStep();
    return null;
  };
  const chainWorkflow = DBOS.registerWorkflow(
    async (length) => {
      for (let i = 1; i <= length; i++) await DBOS.runStep(noop, { name: `s${i}` });
    },
    { name: 'chain' },
  );
  const fanoutWorkflow = DBOS.registerWorkflow(
    async (width) => {
      await Promise.all(
        Array.from({ length: width }, (_, i) => DBOS.runStep(noop, { name: `w${i}` })),
      );
      await DBOS.runStep(noop, { name: 'join' });
    },
    { name: 'fanout' },
  );
  const recoveryWorkflow = DBOS.registerWorkflow(
    async (key, length) => {
      for (let i = 1; i <= length; i++) {
        await DBOS.runStep(() => recoveryStep(key, `s${i}`), { name: `s${i}` });
      }
    },
    { name: 'recovery' },
  );
  await DBOS.launch();
  const runToEnd = async (workflow, ...args) => {
    const handle = await DBOS.startWorkflow(workflow)(...args);
    await handle.getResult();
  };
  return {
    run: (length) => runToEnd(chainWorkflow, length),
    fanout: (width) => runToEnd(fanoutWorkflow, width),
    recoveryStart: async (key, length) => {
      const handle = await DBOS.startWorkflow(recoveryWorkflow, { workflowID: key })(key, length);
      await handle.getResult();
    },
    // launch() has already begun recovering the workflow; wait for it to end.
    recoveryResume: (key) => DBOS.retrieveWorkflow(key).getResult(),
    close: () => DBOS.shutdown(),
  };
}
