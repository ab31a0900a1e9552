/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: it throws on anything a Prometheus
 * server would refuse or misread (bad names, bad escaping, samples before their TYPE, a family split in two,
 * duplicate series, histogram buckets that are not cumulative or do not end in +Inf = _count).
 */
export interface Sample {
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

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(raw: string, line: number): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`line ${line}: bad value "${raw}"`);
  return Number(raw);
}

function parseSample(text: string, line: number): Sample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/.exec(text);
  if (!m) throw new Error(`line ${line}: not a sample: ${text}`);
  const labels: Record<string, string> = {};
  let rest = m[3] ?? '';
  while (rest.length > 0) {
    const lm = /^([^=\s]+)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/.exec(rest);
    if (!lm) throw new Error(`line ${line}: bad labels {${m[3]}}`);
    const [whole, name, value] = lm as unknown as [string, string, string];
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`line ${line}: bad label name "${name}"`);
    if (name in labels) throw new Error(`line ${line}: label "${name}" twice`);
    labels[name] = value.replace(/\\(\\|"|n)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
  }
  return { name: m[1]!, labels, value: parseValue(m[4]!, line) };
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const f = families.get(sampleName.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

const seriesKey = (s: Sample) => `${s.name}{${Object.entries(s.labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const seen = new Set<string>();
  let current: Family | undefined;
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ''] = m as unknown as [string, 'HELP' | 'TYPE', string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`);
      if (closed.has(name)) throw new Error(`line ${line}: family ${name} appears twice`);
      let family = families.get(name);
      if (!family) {
        if (current && current.name !== name) closed.add(current.name);
        family = { name, type: 'untyped', samples: [] };
        families.set(name, family);
      }
      if (family.samples.length > 0) throw new Error(`line ${line}: ${kind} for ${name} after its samples`);
      if (kind === 'HELP') family.help = rest;
      else {
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type "${rest}"`);
        family.type = rest as Family['type'];
      }
      current = family;
      return;
    }
    const sample = parseSample(raw, line);
    const family = familyOf(sample.name, families);
    if (!family) throw new Error(`line ${line}: sample ${sample.name} has no TYPE`);
    if (family !== current) throw new Error(`line ${line}: sample ${sample.name} is not next to the rest of family ${family.name}`);
    const key = seriesKey(sample);
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    if (family.type === 'counter' && !(sample.value >= 0)) throw new Error(`line ${line}: counter ${sample.name} is ${sample.value}`);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const s of family.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    const sum = samples.find((s) => s.name === `${family.name}_sum`);
    if (!count || !sum) throw new Error(`histogram ${family.name} ${key}: missing _sum or _count`);
    const bounds = buckets.map((b) => parseValue(b.labels.le ?? '', 0));
    if (bounds.some((b, i) => i > 0 && !(b > bounds[i - 1]!))) throw new Error(`histogram ${family.name} ${key}: bucket bounds not increasing`);
    if (bounds.at(-1) !== Infinity) throw new Error(`histogram ${family.name} ${key}: no +Inf bucket`);
    if (buckets.some((b, i) => i > 0 && b.value < buckets[i - 1]!.value)) throw new Error(`histogram ${family.name} ${key}: buckets not cumulative`);
    if (buckets.at(-1)!.value !== count.value) throw new Error(`histogram ${family.name} ${key}: +Inf bucket ${buckets.at(-1)!.value} != _count ${count.value}`);
  }
}

/** The value of one series; undefined when it is absent. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}

export function samplesOf(families: Map<string, Family>, name: string): Sample[] {
  return [...families.values()].flatMap((f) => f.samples.filter((s) => s.name === name));
}
