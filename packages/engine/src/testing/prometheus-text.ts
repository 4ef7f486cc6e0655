// A strict reader of the Prometheus text exposition format (version 0.0.4), for tests that scrape
// /metrics. Written here because the npm parser at hand (parse-prometheus-text-format 1.1.1)
// mis-reads valid histograms whose `_count` and `_sum` come before their buckets, as
// OpenTelemetry's serializer writes them. Strict: every sample belongs to a family declared by a
// `# TYPE` line before it, names and label names are well formed, a series appears once.

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_count` for a histogram `x`). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** The families of a scrape by name; throws naming the line of anything malformed. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  const seen = new Set<string>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    const bad = (why: string) => new Error(`line ${i + 1}: ${why}: ${raw}`);
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) continue; // another comment (`# UNIT`, `# EOF`…)
      const [, kind, name, rest = ''] = m;
      if (!NAME.test(name!)) throw bad('bad metric name');
      if (kind === 'HELP') {
        helps.set(name!, rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\'));
      } else {
        if (!TYPES.has(rest)) throw bad('unknown type');
        if (families.has(name!)) throw bad('a second TYPE line');
        families.set(name!, { name: name!, type: rest as Family['type'], samples: [] });
      }
      continue;
    }
    const sample = parseSample(line, bad);
    const family = familyOf(families, sample.name);
    if (!family) throw bad('a sample of no declared family');
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) throw bad('a series given twice');
    seen.add(key);
    family.samples.push(sample);
  }
  for (const [name, help] of helps) {
    const f = families.get(name);
    if (f) f.help = help;
  }
  return families;
}

function familyOf(families: Map<string, Family>, name: string): Family | undefined {
  const own = families.get(name);
  if (own) return own;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const f = m ? families.get(m[1]!) : undefined;
  if (!f || (f.type !== 'histogram' && f.type !== 'summary')) return undefined;
  if (f.type === 'summary' && m![2] === 'bucket') return undefined;
  return f;
}

function parseSample(line: string, bad: (why: string) => Error): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line);
  if (!m) throw bad('not a sample');
  const labels: Record<string, string> = {};
  const body = m[2]?.slice(1, -1) ?? '';
  let at = 0;
  while (at < body.length) {
    const lm = /^\s*([^=\s]+)\s*=\s*"/.exec(body.slice(at));
    if (!lm || !LABEL.test(lm[1]!)) throw bad('bad label');
    at += lm[0].length;
    let value = '';
    for (;;) {
      const c = body[at++];
      if (c === undefined) throw bad('unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const e = body[at++];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else throw bad('bad escape in a label value');
      } else value += c;
    }
    if (Object.hasOwn(labels, lm[1]!)) throw bad('a label given twice');
    labels[lm[1]!] = value;
    const rest = /^\s*(,|$)/.exec(body.slice(at));
    if (!rest) throw bad('labels not separated by commas');
    at += rest[0].length;
  }
  const text = m[3]!;
  const value =
    text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : text === 'NaN' ? NaN : Number(text);
  if (Number.isNaN(value) && text !== 'NaN') throw bad('bad value');
  return { name: m[1]!, labels, value };
}

/** The samples of `family` named `name` whose labels include `labels`. */
export function samplesOf(
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string> = {},
  name = family,
): Sample[] {
  return (families.get(family)?.samples ?? []).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The one value of a counter or gauge series (undefined when absent). */
export function valueOf(
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samplesOf(families, family, labels);
  if (found.length > 1) throw new Error(`${family} ${JSON.stringify(labels)}: several series`);
  return found[0]?.value;
}

export interface HistogramSeries {
  count: number;
  sum: number;
  /** Upper bounds and cumulative counts, ascending; the last is +Inf. */
  buckets: [number, number][];
}

/**
 * One series of a histogram (labels exactly these plus `le`), checked: buckets cumulative, the
 * +Inf one equal to the count.
 */
export function histogramOf(
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string>,
): HistogramSeries | undefined {
  const same = (s: Sample) => {
    const { le: _le, ...rest } = s.labels;
    return (
      JSON.stringify(Object.entries(rest).sort()) === JSON.stringify(Object.entries(labels).sort())
    );
  };
  const f = families.get(family);
  if (f?.type !== 'histogram') return undefined;
  const mine = f.samples.filter(same);
  const count = mine.find((s) => s.name === `${family}_count`)?.value;
  const sum = mine.find((s) => s.name === `${family}_sum`)?.value;
  if (count === undefined || sum === undefined) return undefined;
  const buckets = mine
    .filter((s) => s.name === `${family}_bucket`)
    .map((s): [number, number] => [
      s.labels.le === '+Inf' ? Infinity : Number(s.labels.le),
      s.value,
    ])
    .sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < buckets.length; i++) {
    if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${family}: buckets not cumulative`);
  }
  if (buckets.at(-1)?.[0] !== Infinity || buckets.at(-1)?.[1] !== count) {
    throw new Error(`${family} ${JSON.stringify(labels)}: the +Inf bucket is not the count`);
  }
  return { count, sum, buckets };
}
