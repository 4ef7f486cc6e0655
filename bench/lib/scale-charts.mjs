// The charts of bench/scale.mjs: one PNG a curve, drawn from the document it prints with --json
// (lib/chart.mjs draws, Chromium renders).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber, lineChart, renderPngs } from './chart.mjs';

const MiB = 2 ** 20;
const STORE = { file: 'file store (SQLite)', memory: 'memory store' };

/** Which commit, when, on what, under what load: the small print of a section's chart. */
function noteOf(doc, section) {
  const p = doc.provenance[section];
  const day = p.date.slice(0, 16).replace('T', ' ');
  const load = p.loadBefore.map((l) => l.toFixed(1)).join(' / ');
  return `aob ${p.commit}, ${day} UTC, ${p.cpus} CPUs, node ${p.node}, load average ${load} at the start${p.quick ? ', --quick' : ''}`;
}

const ticksOf = (values) => [...new Set(values)].sort((a, b) => a - b);

function throughputChart(doc) {
  const stores = [...new Set(doc.throughput.map((r) => r.store))];
  return lineChart({
    title: 'Node transitions per second against concurrent runs',
    subtitle:
      '3-node chains of no-op tasks started at once; median of rounds, each point its own process',
    note: noteOf(doc, 'throughput'),
    x: { label: 'concurrent runs', log: true, ticks: ticksOf(doc.throughput.map((r) => r.runs)) },
    y: { label: 'node transitions / s' },
    series: stores.map((store) => ({
      name: STORE[store],
      points: doc.throughput
        .filter((r) => r.store === store)
        .map((r) => ({ x: r.runs, y: r.transitionsPerSec })),
    })),
  });
}

function decisionChart(doc) {
  const keys = [...new Set(doc.decision.map((r) => `${r.shape} ${r.store}`))];
  const shapeName = { chain: 'chain', wide: 'fan-out + join' };
  return lineChart({
    title: 'Time per node transition against graph size',
    subtitle:
      'one run at a time: first NodeSucceeded to RunCompleted ÷ transitions; median of runs',
    note: noteOf(doc, 'decision'),
    x: {
      label: 'nodes in the workflow',
      log: true,
      ticks: ticksOf(doc.decision.map((r) => r.size)),
    },
    y: { label: 'µs per node transition', log: true, format: formatNumber },
    series: keys.map((key, i) => {
      const [shape, store] = key.split(' ');
      return {
        name: `${shapeName[shape]}, ${store === 'file' ? 'file' : 'memory'} store`,
        color: ['#0072B2', '#D55E00', '#0072B2', '#D55E00'][i],
        dash: store === 'memory' ? '7 5' : undefined,
        points: doc.decision
          .filter((r) => r.shape === shape && r.store === store)
          .map((r) => ({ x: r.size, y: r.perTransitionUs })),
      };
    }),
  });
}

function memoryChart(doc) {
  const stores = [...new Set(doc.memory.map((r) => r.store))];
  const series = stores.flatMap((store, i) =>
    [
      { key: 'heapUsedPer1000', what: 'heapUsed', dash: undefined },
      { key: 'rssPer1000', what: 'RSS', dash: '7 5' },
    ].map(({ key, what, dash }) => ({
      name: `${what}, ${STORE[store]}`,
      color: ['#0072B2', '#D55E00'][i],
      dash,
      points: doc.memory
        .filter((r) => r.store === store)
        .map((r) => ({ x: r.waiting, y: r[key] / MiB })),
    })),
  );
  return lineChart({
    title: 'Memory per 1,000 runs waiting on an approval',
    subtitle: 'growth after GC ÷ runs started (task → approval → task), median of 3 processes',
    note: noteOf(doc, 'memory'),
    x: { label: 'runs waiting', log: true, ticks: ticksOf(doc.memory.map((r) => r.waiting)) },
    y: { label: 'MiB per 1,000 waiting runs' },
    series,
  });
}

function logChart(doc) {
  const rows = [...doc.log].sort((a, b) => a.eventsPerRun - b.eventsPerRun);
  const name = { chain3: '3-node chain', chain10: '10-node chain', map100: 'map over 100 items' };
  const three = (v) => formatNumber(Number(v.toPrecision(3)));
  const bytes = (b) =>
    b >= 1e6 ? `${three(b / 1e6)} MB` : b >= 1e3 ? `${three(b / 1e3)} kB` : `${three(b)} B`;
  return lineChart({
    title: 'Growth of the file store per run',
    subtitle: rows
      .map((r) => `${name[r.workflow] ?? r.workflow}: ${formatNumber(r.eventsPerRun)} events`)
      .join(' · ')
      .concat(' · kB = 1,000 B'),
    note: noteOf(doc, 'log'),
    x: { label: 'events per run', log: true, ticks: rows.map((r) => r.eventsPerRun) },
    y: { label: 'bytes per run', log: true, headroom: 0.3, format: bytes },
    series: [
      { name: 'SQLite db + WAL', key: 'sqliteBytesPerRun' },
      { name: 'content store: bytes', key: 'contentBytesPerRun' },
      { name: 'content store: on disk', key: 'contentAllocatedPerRun', dash: '7 5' },
    ].map((s) => ({
      ...s,
      points: rows.filter((r) => r[s.key] > 0).map((r) => ({ x: r.eventsPerRun, y: r[s.key] })),
    })),
  });
}

const CHARTS = [
  ['throughput', 'throughput-vs-concurrency.png', throughputChart],
  ['decision', 'decision-cost-vs-graph-size.png', decisionChart],
  ['memory', 'memory-per-waiting-run.png', memoryChart],
  ['log', 'log-growth-per-run.png', logChart],
];

/** Renders the charts of the sections `doc` holds into `dir`; resolves with the files written. */
export async function renderScaleCharts(doc, dir) {
  mkdirSync(dir, { recursive: true });
  const charts = CHARTS.filter(([section]) => doc[section]?.length).map(([, file, draw]) => ({
    svg: draw(doc),
    path: join(dir, file),
  }));
  await renderPngs(charts);
  return charts.map((c) => c.path);
}
