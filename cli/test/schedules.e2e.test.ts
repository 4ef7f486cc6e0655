// Schedules with the built `aob` (issue 19): create, list, show, pause (bad input names every
// problem and stores nothing), and exactly once per tick across kill -9: an every-second schedule
// whose scheduler (`aob scheduler`) is SIGKILLed at random moments and restarted, at random too,
// from a printed seed (AOB_SCHEDULE_SEED replays one). Afterwards every tick from the first to
// the pause has exactly one run with one RunStarted recording it, and no tick has two.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '@aob/store';
import { aob, json, start, tempHome, untilFrom } from './helpers.js';
import type { Running } from './helpers.js';

const { home, cleanup } = tempHome();
const env = { AOB_HOME: home };
afterAll(cleanup);

interface ScheduleJson {
  scheduleId: string;
  nextTickAt?: number;
  paused: boolean;
  updatedAt: number;
  counts: { started: number; skipped: number; missed: number; failed: number };
}

/** A small deterministic generator (mulberry32) so a seed replays the same kill schedule. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const file = join(home, 'tick.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'tick',
      version: '1',
      inputs: { type: 'object', properties: { team: { type: 'string' } } },
      nodes: [{ id: 'a', type: 'transform', with: { value: '{% inputs.team %}' } }],
      output: '{% nodes.a.output %}',
    }),
  );
  const registered = await aob(['workflow', 'register', file, '--json'], env);
  expect(registered.code, registered.stderr).toBe(0);
}, 60_000);

describe('aob schedule', () => {
  it('refuses a bad schedule naming every problem, with exit 2, and stores nothing', async () => {
    const r = await aob(
      [
        'schedule',
        'create',
        'nope',
        '--cron',
        '61 * * * *',
        '--tz',
        'Mars/Olympus',
        '--every',
        '5m',
        '--overlap',
        'sometimes',
        '--json',
      ],
      env,
    );
    expect(r.code).toBe(2);
    const body = json<{ error: { code: string; problems: { code: string; path: string }[] } }>(r);
    expect(body.error.code).toBe('VALIDATION');
    expect(body.error.problems.map((p) => p.code)).toEqual([
      'CONFLICTING_OPTIONS',
      'BAD_TIMEZONE',
      'BAD_CRON',
      'BAD_OVERLAP',
      'UNKNOWN_WORKFLOW',
    ]);
    const list = await aob(['schedule', 'list', '--json'], env);
    expect(json(list)).toEqual([]);
  }, 60_000);

  it('starts every tick of an every-second schedule exactly once across kill -9 of the scheduler', async () => {
    const seed = Number(process.env.AOB_SCHEDULE_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`schedules e2e: kill schedule seed ${seed} (AOB_SCHEDULE_SEED=${seed} replays it)`);
    const rand = random(seed);

    const created = await aob(
      [
        'schedule',
        'create',
        'tick',
        '--every',
        '1s',
        '--overlap',
        'allow',
        '--catchup-window',
        '10m',
        '--input',
        'team=ops',
        '--json',
      ],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const schedule = json<ScheduleJson>(created);
    const firstTick = schedule.nextTickAt!;

    const kills = 6;
    let scheduler: Running | undefined;
    const startScheduler = async () => {
      const s = start(['scheduler', '--json', '--poll-ms', '100'], env);
      // Up once it says so (its first line): a kill before that would test only start-up.
      await untilFrom(s, 'the scheduler to start', async () =>
        s.printed().stdout.includes('"started"') ? true : undefined,
      );
      return s;
    };
    for (let i = 0; i < kills; i++) {
      scheduler = await startScheduler();
      const up = 800 + Math.floor(rand() * 2_500);
      await sleep(up);
      scheduler.child.kill('SIGKILL');
      const killed = await scheduler.done;
      expect(killed.signal).toBe('SIGKILL');
      const down = Math.floor(rand() * 2_000);
      console.log(`schedules e2e: kill ${i + 1}/${kills} after ${up} ms up; down ${down} ms`);
      await sleep(down);
    }
    // The last scheduler catches up what the kills left, runs a while, then the schedule is paused
    // and the scheduler stopped gracefully.
    scheduler = await startScheduler();
    await sleep(3_000);
    const paused = await aob(
      ['schedule', 'pause', schedule.scheduleId, '--note', 'done', '--json'],
      env,
    );
    expect(paused.code, paused.stderr).toBe(0);
    const pausedAt = json<ScheduleJson>(paused).updatedAt;
    await sleep(1_000);
    scheduler.child.kill('SIGTERM');
    const stopped = await scheduler.done;
    expect(stopped.code, stopped.stderr).toBe(0);

    // Count runs by tick, from the store itself.
    const store = SqliteEventStore.open(home);
    const byTick = new Map<number, number>();
    let runStartedEvents = 0;
    try {
      for (const run of await store.listRuns({ limit: 100_000 })) {
        for (const e of await store.read(run.runId)) {
          if (e.type !== 'RunStarted') continue;
          runStartedEvents++;
          const by = (e.data as { schedule?: { scheduleId: string; tick: number } }).schedule;
          expect(by?.scheduleId).toBe(schedule.scheduleId);
          byTick.set(by!.tick, (byTick.get(by!.tick) ?? 0) + 1);
        }
      }
    } finally {
      await store.close();
    }
    const ticks = [...byTick.keys()].sort((a, b) => a - b);
    const duplicates = [...byTick.values()].filter((n) => n > 1).length;
    // Every tick from the first to the last due before the pause (the last second before it may
    // not have been polled yet: it counts if started, and is not required).
    const expected: number[] = [];
    for (let t = firstTick; t <= pausedAt - 1_000; t += 1_000) expected.push(t);
    const lost = expected.filter((t) => !byTick.has(t));
    const extra = ticks.filter(
      (t) => t < firstTick || t > pausedAt || (t - firstTick) % 1_000 !== 0,
    );
    console.log(
      `schedules e2e: seed ${seed}: ${ticks.length} ticks started (${expected.length} due before the pause), ${runStartedEvents} RunStarted, ${duplicates} ticks started twice, ${lost.length} lost`,
    );
    expect(duplicates).toBe(0);
    expect(lost).toEqual([]);
    expect(extra).toEqual([]);
    expect(runStartedEvents).toBe(ticks.length);
    expect(ticks.length).toBeGreaterThanOrEqual(10);

    const shown = json<ScheduleJson>(
      await aob(['schedule', 'show', schedule.scheduleId, '--json'], env),
    );
    expect(shown.paused).toBe(true);
    expect(shown.counts.missed).toBe(0);
  }, 180_000);
});
