// Child process of the multi-process SQLite test. Opens the store module given as a file URL,
// waits for a common start time (so the processes contend), then appends `count` events to one
// run, re-reading the last seq and retrying on SEQ_CONFLICT. Prints { conflicts } as JSON.
// argv: <store module url> <db path> <run id> <count> <actor> <start at (epoch ms)>
const [moduleUrl, path, runId, countArg, actor, startAtArg] = process.argv.slice(2);
const { SqliteEventStore } = await import(moduleUrl);
const store = new SqliteEventStore({ path });
const count = Number(countArg);

while (Date.now() < Number(startAtArg)) await new Promise((r) => setTimeout(r, 1));

let conflicts = 0;
for (let i = 0; i < count;) {
  const run = await store.getRun(runId);
  const event = {
    type: 'NodeLog',
    at: Date.now(),
    actor,
    data: { nodeId: actor, attempt: 1, level: 'info', message: String(i) },
  };
  try {
    await store.append(runId, 'ir', run.lastSeq, [event]);
    i++;
  } catch (err) {
    if (err.code !== 'SEQ_CONFLICT') throw err;
    conflicts++;
  }
}
await store.close();
process.stdout.write(JSON.stringify({ conflicts }));
