// The deployment artefacts (docker-compose.yml, deploy/**) are parsed and checked for the
// mistakes that otherwise only show up on a cluster: selectors that match nothing, env vars
// outside the services' contract, secrets in git, topics that differ from the code's, compose
// dependencies on services that do not exist, ports that differ from the ones the services listen
// on. Each check returns its problems, so the negative cases below can break a parsed copy and see
// the check name what broke.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Topic } from '@aob/core';
import { kafkaPartitionsOf, SERVICE_NAMES, serviceConfig } from '@aob/engine';
import type { ServiceConfig, ServiceName } from '@aob/engine';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const K8S_DIR = 'deploy/k8s';

/** The services' environment contract (deploy/README.md documents each name). */
const CONTRACT = new Set([
  'AOB_SERVICES',
  'AOB_HTTP_PORT',
  'AOB_START_TIMEOUT_MS',
  'AOB_API_PORT',
  'AOB_GRPC_PORT',
  'AOB_FANOUT_PORT',
  'AOB_VALIDATOR_PORT',
  'AOB_HITL_PORT',
  'AOB_VALIDATOR_URL',
  'AOB_API_MAX_BODY_BYTES',
  'AOB_MCP_ALLOWED_ORIGINS',
  'AOB_MCP_ALLOWED_HOSTS',
  'AOB_FANOUT_HEARTBEAT_MS',
  'AOB_FANOUT_MAX_BUFFER_BYTES',
  'AOB_DATABASE_URL',
  'AOB_BUS',
  'AOB_KAFKA_BROKERS',
  'AOB_KAFKA_SESSION_TIMEOUT_MS',
  'AOB_KAFKA_INSTANCE_ID',
  'AOB_KAFKA_PARTITIONS',
  'AOB_KAFKA_JOB_PARTITIONS',
  'AOB_REDELIVER_MS',
  'AOB_REDIS_URL',
  'AOB_S3_ENDPOINT',
  'AOB_S3_BUCKET',
  'AOB_S3_REGION',
  'AOB_S3_FORCE_PATH_STYLE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AOB_LLM_BASE_URL',
  'AOB_SEARCH_URL',
  'AOB_WORKSPACE',
  'AOB_API_URL',
  'AOB_LLM_API_KEY',
  'AOB_MCP_SERVERS',
  'AOB_RUNNER_CONCURRENCY',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
  'AOB_LOG_LEVEL',
  'AOB_OPTIMIZE_ON',
  'AOB_OPTIMIZE_PASSES',
  'AOB_OPTIMIZER_PASSES',
  'AOB_OPTIMIZER_TIMEOUT_MS',
  'AOB_OPTIMIZER_MEMORY_MB',
]);
/** Variables carrying credentials: only ever from the Secret `aob-secrets`, never a literal. */
const SECRET_VARS = new Set([
  'AOB_DATABASE_URL',
  'AOB_REDIS_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AOB_LLM_API_KEY',
  'AOB_MCP_SERVERS',
]);
const SECRET_NAME = 'aob-secrets';
/** Set per Deployment; every other variable of the contract but the credentials is in aob-config. */
const PER_DEPLOYMENT = new Set([
  'AOB_SERVICES',
  'OTEL_SERVICE_NAME',
  'AOB_VALIDATOR_URL',
  'AOB_KAFKA_INSTANCE_ID',
]);
/**
 * Where the services read their environment: the configuration (and the settings it shares with
 * the CLI), and each service's composition root.
 */
const ENV_READERS = [
  'packages/engine/src/cluster/config.ts',
  'packages/engine/src/env-settings.ts',
  // The table of the AOB_LIMIT_* names, read through env-settings.ts's limitsFromEnv.
  'packages/core/src/limits.ts',
  // The OTEL_* variables, read through config.ts's telemetryConfig.
  'packages/engine/src/telemetry/setup.ts',
  // The AOB_OPTIMIZE*/AOB_OPTIMIZER_* variables, read by the api service through it (optimizer.ts).
  'packages/optimizer/src/settings.ts',
  ...SERVICE_NAMES.map((s) => `services/${s}/src/index.ts`),
];
/**
 * Read by the services but no setting of an installation: the container runtime sets HOSTNAME
 * (AOB_INSTANCE's default), and the crash tests' fault injection makes an orchestrator kill itself.
 */
const UNDOCUMENTED_READS = new Set(['HOSTNAME', 'AOB_FAULT_KILL_AFTER_COMMITS']);
/** Documented as accepted and not yet used (deploy/README.md, "What the services provide"). */
const DOCUMENTED_UNUSED = new Set<string>();
/** The services `aob server` runs (packages/engine/src/cluster/config.ts). */
const SERVICES: readonly ServiceName[] = SERVICE_NAMES;
/** Health on every process; then the ports each service listens on, by container port name. */
const LISTENS: Record<ServiceName, (c: ServiceConfig) => [name: string, port: number][]> = {
  api: (c) => [
    ['api', c.apiPort],
    ['grpc', c.grpcPort],
  ],
  orchestrator: () => [],
  runner: () => [],
  fanout: (c) => [['sse', c.fanoutPort]],
  hitl: (c) => [['grpc', c.hitlPort]],
  validator: (c) => [['grpc', c.validatorPort]],
};
/**
 * What each service opens (services/<name>/src/index.ts): compose makes it wait for these and for
 * nothing else. Redis counts only where AOB_REDIS_URL is given (memoised results).
 */
const USES: Record<ServiceName, readonly string[]> = {
  api: ['postgres', 'kafka', 'minio'],
  orchestrator: ['postgres', 'kafka', 'minio', 'redis'],
  runner: ['kafka', 'minio', 'redis'],
  fanout: ['postgres', 'kafka'],
  hitl: ['postgres', 'kafka', 'minio'],
  validator: [],
};
/** The one-shot job that prepares each stateful service. */
const PREPARED_BY: Record<string, string> = { kafka: 'kafka-topics', minio: 'minio-init' };
/** The variable through which a service reaches each stateful service. */
const REACHED_BY: Record<string, string> = {
  postgres: 'AOB_DATABASE_URL',
  kafka: 'AOB_KAFKA_BROKERS',
  redis: 'AOB_REDIS_URL',
  minio: 'AOB_S3_ENDPOINT',
};
/** Stand-ins for the Secret's values when a manifest's environment is read by serviceConfig. */
const SECRET_STAND_INS: Record<string, string> = {
  AOB_DATABASE_URL: 'postgres://user:password@postgres:5432/aob',
  AOB_REDIS_URL: 'redis://redis:6379/0',
  AWS_ACCESS_KEY_ID: 'key-id',
  AWS_SECRET_ACCESS_KEY: 'secret-key',
  AOB_LLM_API_KEY: 'llm-key',
  AOB_MCP_SERVERS: '{"search":{"url":"https://search.example/mcp","token":"t"}}',
};
/** The topic Job runs the Kafka image, whose tools read these besides the contract's broker list. */
const TOPIC_JOB_EXTRA_ENV = new Set(['LOG_DIR', 'TOPIC_REPLICATION_FACTOR']);
const STATEFUL = ['postgres', 'kafka', 'minio', 'redis'];
const AOB_IMAGE = 'aob';

// ---------------------------------------------------------------------------------------------
// Just enough of the Kubernetes and compose shapes to navigate parsed YAML; every field optional,
// because a broken manifest is exactly what the checks must report.

type Labels = Record<string, string>;
interface EnvVar {
  name?: string;
  value?: unknown;
  valueFrom?: {
    secretKeyRef?: { name?: string; key?: string };
    configMapKeyRef?: { name?: string; key?: string };
  };
}
interface Probe {
  httpGet?: { path?: string; port?: string | number };
}
interface Container {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort?: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: {
    requests?: Record<string, string | number>;
    limits?: Record<string, string | number>;
  };
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface PodSpec {
  containers?: Container[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}
interface PodTemplate {
  metadata?: { labels?: Labels; annotations?: Record<string, unknown> };
  spec?: PodSpec;
}
interface K8sDoc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; labels?: Labels };
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Labels } & Record<string, unknown>;
    template?: PodTemplate;
    ports?: { name?: string; port?: number; targetPort?: string | number }[];
    scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: { type?: string; resource?: { name?: string } }[];
    minAvailable?: number | string;
    maxUnavailable?: number | string;
  };
}
interface Kustomization {
  resources?: string[];
  images?: { name?: string }[];
}
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: (string | { target?: string | number; published?: string | number; host_ip?: string })[];
  volumes?: (string | { type?: string; source?: string })[];
  restart?: string;
  container_name?: string;
  deploy?: { replicas?: number };
}
interface Compose {
  services?: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Loading

function read(rel: string): string {
  return readFileSync(join(root, rel), 'utf8');
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir))) {
    const rel = `${dir}/${entry}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...yamlFiles(rel));
    else if (/\.ya?ml$/.test(entry)) out.push(rel);
  }
  return out.sort();
}

/** Every document of a file; YAML errors (and warnings) fail here, naming the file. */
function parseFile(rel: string): unknown[] {
  const docs = parseAllDocuments(read(rel), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    const bad = [...d.errors, ...d.warnings].map((e) => e.message);
    if (bad.length > 0) throw new Error(`${rel}: ${bad.join('; ')}`);
  }
  return list.map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined);
}

interface Loaded {
  /** The Kubernetes documents of deploy/k8s (not the kustomization), with their file. */
  k8s: { file: string; doc: K8sDoc }[];
  kustomization: Kustomization;
  k8sFiles: string[];
  compose: Compose;
  secretExample: K8sDoc[];
  collector: Record<string, unknown>;
  /** deploy/README.md. */
  readme: string;
  /** The sources of ENV_READERS, by path. */
  envReaders: Record<string, string>;
}

function load(): Loaded {
  const k8sFiles = yamlFiles(K8S_DIR).filter((f) => !/\/kustomization\.ya?ml$/.test(f));
  return {
    k8s: k8sFiles.flatMap((file) => parseFile(file).map((doc) => ({ file, doc: doc as K8sDoc }))),
    kustomization: parseFile(`${K8S_DIR}/kustomization.yaml`)[0] as Kustomization,
    k8sFiles,
    compose: parseFile('docker-compose.yml')[0] as Compose,
    secretExample: parseFile('deploy/secret.example.yaml') as K8sDoc[],
    collector: parseFile('deploy/otel-collector.yaml')[0] as Record<string, unknown>,
    readme: read('deploy/README.md'),
    envReaders: Object.fromEntries(ENV_READERS.map((f) => [f, read(f)])),
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1',
  ConfigMap: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  Job: 'batch/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
};

const named = (d: K8sDoc) => `${d.kind ?? '?'}/${d.metadata?.name ?? '?'}`;
const ofKind = (l: Loaded, kind: string) => l.k8s.map((e) => e.doc).filter((d) => d.kind === kind);
const isSubset = (sub: Labels | undefined, of: Labels | undefined) =>
  !!sub && Object.keys(sub).length > 0 && Object.entries(sub).every(([k, v]) => of?.[k] === v);
const containersOf = (d: K8sDoc) => d.spec?.template?.spec?.containers ?? [];

/** Kubernetes quantities, enough for cpu (`250m`, `1`) and memory (`256Mi`, `1Gi`). */
function quantity(q: string | number | undefined): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q ?? '');
  if (!m) return NaN;
  const unit: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(m[1]) * (m[2] ? unit[m[2]]! : 1);
}

/** `create --topic NAME --partitions N` lines of a topic-creation script. */
function topicsIn(script: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of script.matchAll(/--topic\s+(\S+)\s+--partitions\s+(\d+)/g)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

function jobScript(l: Loaded): string {
  const job = ofKind(l, 'Job').find((j) => j.metadata?.name === 'aob-create-topics');
  return containersOf(job ?? {})
    .flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])])
    .join('\n');
}

function composeScript(l: Loaded): string {
  const s = l.compose.services?.['kafka-topics'];
  const parts = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? [v] : []);
  return [...parts(s?.entrypoint), ...parts(s?.command)].join('\n');
}

function composeEnv(s: ComposeService | undefined): Record<string, string> {
  const env = s?.environment;
  if (!env) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((kv) => [kv.split('=')[0]!, kv.includes('=') ? kv.slice(kv.indexOf('=') + 1) : '']),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v ?? '')]));
}

function dependsOn(s: ComposeService): Record<string, string> {
  const d = s.depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(
    Object.entries(d).map(([n, v]) => [n, v?.condition ?? 'service_started']),
  );
}

/** The aob services of compose: the ones running the image built from ./Dockerfile. */
const composeAob = (c: Compose) =>
  Object.entries(c.services ?? {}).filter(([, s]) => s.build !== undefined);

/** The configmap a container's envFrom names, or undefined. */
function envFromKeys(l: Loaded, c: Container): string[] {
  return (c.envFrom ?? []).flatMap((f) => {
    const cm = ofKind(l, 'ConfigMap').find((m) => m.metadata?.name === f.configMapRef?.name);
    return cm ? Object.keys(cm.data ?? {}) : [];
  });
}

/** Every env name a container receives, from env and from ConfigMaps it loads whole. */
const envNames = (l: Loaded, c: Container) => [
  ...(c.env ?? []).map((e) => e.name ?? ''),
  ...envFromKeys(l, c),
];

function serviceOfDeployment(d: K8sDoc): string | undefined {
  const v = containersOf(d)[0]?.env?.find((e) => e.name === 'AOB_SERVICES')?.value;
  return typeof v === 'string' ? v : undefined;
}

/** The services an AOB_SERVICES value names (unknown names dropped: other checks report them). */
const servicesIn = (v: string | undefined): ServiceName[] =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x): x is ServiceName => (SERVICES as readonly string[]).includes(x));

/**
 * The environment a container starts with: the ConfigMaps it loads whole, then its own env (which
 * wins); the Secret's values replaced by stand-ins.
 */
function k8sEnv(l: Loaded, c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const f of c.envFrom ?? []) {
    const cm = ofKind(l, 'ConfigMap').find((m) => m.metadata?.name === f.configMapRef?.name);
    for (const [k, v] of Object.entries(cm?.data ?? {})) env[k] = String(v);
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.configMapKeyRef;
    const fromMap = ofKind(l, 'ConfigMap').find((m) => m.metadata?.name === ref?.name)?.data?.[
      ref?.key ?? ''
    ];
    if (e.valueFrom?.secretKeyRef) env[e.name ?? ''] = SECRET_STAND_INS[e.name ?? ''] ?? 'secret';
    else if (fromMap !== undefined) env[e.name ?? ''] = String(fromMap);
    else if (e.value !== undefined) env[e.name ?? ''] = String(e.value);
  }
  return env;
}

/** A compose service's environment as the container sees it, `${VAR:-default}` taken as unset. */
function composeRuntimeEnv(s: ComposeService | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(composeEnv(s)).map(([k, v]) => [
      k,
      v.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_m, d?: string) => d ?? ''),
    ]),
  );
}

/** The services' own reading of an environment, or the problem that stops them from starting. */
function configOf(
  env: Record<string, string>,
  where: string,
  p: string[],
): ServiceConfig | undefined {
  try {
    return serviceConfig(env, undefined, 'manifest-check');
  } catch (err) {
    p.push(`${where}: the services refuse this environment: ${(err as Error).message}`);
    return undefined;
  }
}

/** Every port a process of `config` listens on, by the name its container port should have. */
const listening = (config: ServiceConfig): [name: string, port: number][] => [
  ['http', config.httpPort],
  ...config.services.flatMap((s) => LISTENS[s](config)),
];

/** The container side of compose `ports:` entries. */
function composeContainerPorts(s: ComposeService): number[] {
  return (s.ports ?? []).flatMap((port) => {
    const target =
      typeof port === 'string'
        ? port
            .replace(/\/(tcp|udp)$/, '')
            .split(':')
            .at(-1)
        : port.target;
    return target === undefined ? [] : [Number(target)];
  });
}

// ---------------------------------------------------------------------------------------------
// Checks: each returns the problems it found (empty when all is well).

function checkK8sDocuments(l: Loaded): string[] {
  const p: string[] = [];
  const seen = new Set<string>();
  for (const { file, doc } of l.k8s) {
    const where = `${file} ${named(doc)}`;
    if (!doc.apiVersion || !doc.kind || !doc.metadata?.name) {
      p.push(`${where}: needs apiVersion, kind and metadata.name`);
      continue;
    }
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(doc.metadata.name) || doc.metadata.name.length > 63)
      p.push(`${where}: metadata.name is not a DNS-1123 label`);
    const api = API_VERSIONS[doc.kind];
    if (!api) p.push(`${where}: unexpected kind ${doc.kind}`);
    else if (doc.apiVersion !== api) p.push(`${where}: apiVersion ${doc.apiVersion}, want ${api}`);
    if (seen.has(named(doc))) p.push(`${where}: defined twice`);
    seen.add(named(doc));
    if (doc.kind === 'Secret') p.push(`${where}: a Secret must not be committed in deploy/k8s`);
  }
  return p;
}

function checkContainer(l: Loaded, where: string, c: Container, isAob: boolean): string[] {
  const p: string[] = [];
  const at = `${where} container ${c.name ?? '?'}`;
  if (!c.name) p.push(`${at}: needs a name`);
  if (!c.image) p.push(`${at}: needs an image`);
  const req = c.resources?.requests;
  const lim = c.resources?.limits;
  for (const r of ['cpu', 'memory']) {
    if (req?.[r] === undefined || lim?.[r] === undefined) {
      p.push(`${at}: needs resources.requests.${r} and resources.limits.${r}`);
    } else if (!(quantity(req[r]) <= quantity(lim[r]))) {
      p.push(`${at}: ${r} request ${req[r]} exceeds (or cannot be compared to) limit ${lim[r]}`);
    }
  }
  const sc = c.securityContext;
  if (sc?.readOnlyRootFilesystem !== true) p.push(`${at}: readOnlyRootFilesystem must be true`);
  if (sc?.allowPrivilegeEscalation !== false)
    p.push(`${at}: allowPrivilegeEscalation must be false`);
  if (!sc?.capabilities?.drop?.includes('ALL')) p.push(`${at}: must drop ALL capabilities`);
  // Environment: the contract's names only; credentials only through the Secret.
  const allowed = (n: string) => CONTRACT.has(n) || (!isAob && TOPIC_JOB_EXTRA_ENV.has(n));
  for (const e of c.env ?? []) {
    const n = e.name ?? '';
    if (!allowed(n)) p.push(`${at}: env ${n} is not in the environment contract`);
    const s = e.valueFrom?.secretKeyRef;
    if (s) {
      if (s.name !== SECRET_NAME) p.push(`${at}: env ${n} reads Secret ${s.name}, not aob-secrets`);
      if (s.key !== n) p.push(`${at}: env ${n} reads key ${s.key}; use the variable's own name`);
    } else if (SECRET_VARS.has(n)) {
      p.push(`${at}: env ${n} is a credential and must come from secretKeyRef aob-secrets`);
    }
    const cm = e.valueFrom?.configMapKeyRef;
    if (cm) {
      const map = ofKind(l, 'ConfigMap').find((m) => m.metadata?.name === cm.name);
      if (!map) p.push(`${at}: env ${n} reads missing ConfigMap ${cm.name}`);
      else if (!(cm.key! in (map.data ?? {})))
        p.push(`${at}: env ${n} reads missing key ${cm.key} of ConfigMap ${cm.name}`);
    }
    if (e.value !== undefined && typeof e.value !== 'string')
      p.push(`${at}: env ${n} value must be a string`);
  }
  for (const f of c.envFrom ?? []) {
    if (f.secretRef && f.secretRef.name !== SECRET_NAME)
      p.push(`${at}: envFrom reads Secret ${f.secretRef.name}, not aob-secrets`);
    if (
      f.configMapRef &&
      !ofKind(l, 'ConfigMap').some((m) => m.metadata?.name === f.configMapRef?.name)
    )
      p.push(`${at}: envFrom reads missing ConfigMap ${f.configMapRef.name}`);
  }
  for (const n of envFromKeys(l, c)) {
    if (!allowed(n)) p.push(`${at}: ConfigMap key ${n} is not in the environment contract`);
  }
  return p;
}

function checkDeployments(l: Loaded): string[] {
  const p: string[] = [];
  const deployments = ofKind(l, 'Deployment');
  const httpPort = Number(ofKind(l, 'ConfigMap')[0]?.data?.['AOB_HTTP_PORT'] ?? 8080);
  for (const d of deployments) {
    const where = named(d);
    const labels = d.spec?.template?.metadata?.labels;
    if (!isSubset(d.spec?.selector?.matchLabels, labels))
      p.push(`${where}: spec.selector.matchLabels must be non-empty and match the template labels`);
    const pod = d.spec?.template?.spec;
    if (pod?.securityContext?.runAsNonRoot !== true) p.push(`${where}: runAsNonRoot must be true`);
    if (!((pod?.terminationGracePeriodSeconds ?? 30) >= 30))
      p.push(`${where}: terminationGracePeriodSeconds too short for a graceful drain`);
    // Every process serves /metrics on its health port: its pods say so to Prometheus.
    const scrape = d.spec?.template?.metadata?.annotations ?? {};
    const wanted = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(httpPort) };
    for (const [k, v] of Object.entries({ ...wanted, 'prometheus.io/path': '/metrics' })) {
      if (scrape[k] !== v) p.push(`${where}: pod annotation ${k} must be "${v}"`);
    }
    const containers = containersOf(d);
    if (containers.length === 0) p.push(`${where}: no containers`);
    for (const c of containers) {
      p.push(...checkContainer(l, where, c, true));
      const http = c.ports?.find((x) => x.name === 'http');
      if (!http) p.push(`${where}: container ${c.name} needs a port named http`);
      else if (http.containerPort !== httpPort)
        p.push(`${where}: http port ${http.containerPort} is not AOB_HTTP_PORT ${httpPort}`);
      const probe = (pr: Probe | undefined, path: string, kind: string) => {
        const g = pr?.httpGet;
        if (!g) p.push(`${where}: ${kind} probe missing`);
        else {
          if (g.path !== path) p.push(`${where}: ${kind} probe path ${g.path}, want ${path}`);
          if (g.port !== 'http' && g.port !== httpPort)
            p.push(`${where}: ${kind} probe port ${g.port} is not the http port`);
        }
      };
      probe(c.livenessProbe, '/healthz', 'liveness');
      probe(c.readinessProbe, '/readyz', 'readiness');
      const svc = c.env?.find((e) => e.name === 'AOB_SERVICES')?.value;
      const list = typeof svc === 'string' ? svc.split(',') : [];
      if (list.length === 0 || !list.every((s) => (SERVICES as readonly string[]).includes(s)))
        p.push(`${where}: AOB_SERVICES ${String(svc)} must list services of ${SERVICES.join(',')}`);
      if (c.image !== AOB_IMAGE) p.push(`${where}: image ${c.image}, want ${AOB_IMAGE}`);
    }
  }
  for (const s of SERVICES) {
    if (!deployments.some((d) => serviceOfDeployment(d) === s)) p.push(`no Deployment runs ${s}`);
  }
  return p;
}

function matchingDeployments(l: Loaded, selector: Labels | undefined): K8sDoc[] {
  return ofKind(l, 'Deployment').filter((d) =>
    isSubset(selector, d.spec?.template?.metadata?.labels),
  );
}

function checkServices(l: Loaded): string[] {
  const p: string[] = [];
  for (const s of ofKind(l, 'Service')) {
    const where = named(s);
    const selector = s.spec?.selector as Labels | undefined;
    const targets = matchingDeployments(l, selector);
    if (targets.length !== 1) p.push(`${where}: selector matches ${targets.length} Deployments`);
    if (!s.spec?.ports?.length) p.push(`${where}: no ports`);
    for (const port of s.spec?.ports ?? []) {
      if (typeof port.port !== 'number') p.push(`${where}: a port needs a number`);
      const t = port.targetPort;
      const ok = targets.some((d) =>
        containersOf(d).some((c) =>
          c.ports?.some((cp) => cp.name === t || cp.containerPort === (t ?? port.port)),
        ),
      );
      if (!ok) p.push(`${where}: targetPort ${String(t)} is no container port of its Deployment`);
    }
  }
  // Every port a Deployment declares is reachable through a Service.
  for (const d of ofKind(l, 'Deployment')) {
    const labels = d.spec?.template?.metadata?.labels;
    const services = ofKind(l, 'Service').filter((s) =>
      isSubset(s.spec?.selector as Labels | undefined, labels),
    );
    for (const cp of containersOf(d).flatMap((c) => c.ports ?? [])) {
      const exposed = services.some((s) =>
        s.spec?.ports?.some((sp) => [cp.name, cp.containerPort].includes(sp.targetPort ?? sp.port)),
      );
      if (!exposed)
        p.push(
          `${named(d)}: container port ${cp.name ?? cp.containerPort} is exposed by no Service`,
        );
    }
  }
  return p;
}

function checkAutoscaling(l: Loaded): string[] {
  const p: string[] = [];
  const jobs = topicsIn(jobScript(l));
  const jobPartitions = Math.min(
    ...[Topic.jobsHigh, Topic.jobsMedium, Topic.jobsLow].map((t) => jobs.get(t) ?? 0),
  );
  const hpas = ofKind(l, 'HorizontalPodAutoscaler');
  for (const h of hpas) {
    const where = named(h);
    const ref = h.spec?.scaleTargetRef;
    const target = ofKind(l, 'Deployment').find((d) => d.metadata?.name === ref?.name);
    if (ref?.kind !== 'Deployment' || ref.apiVersion !== 'apps/v1' || !target)
      p.push(`${where}: scaleTargetRef ${ref?.kind}/${ref?.name} names no Deployment`);
    const min = h.spec?.minReplicas ?? 1;
    const max = h.spec?.maxReplicas;
    if (typeof max !== 'number' || !(min >= 1 && min <= max))
      p.push(`${where}: needs 1 <= minReplicas <= maxReplicas`);
    if (!h.spec?.metrics?.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu'))
      p.push(`${where}: runners scale on cpu`);
    if (target && target.spec?.replicas !== undefined)
      p.push(`${where}: ${named(target)} sets replicas, which every apply would reset`);
    if (target && serviceOfDeployment(target) === 'runner' && typeof max === 'number')
      if (max > jobPartitions)
        p.push(`${where}: maxReplicas ${max} exceeds the ${jobPartitions} job-topic partitions`);
  }
  const runner = ofKind(l, 'Deployment').find((d) => serviceOfDeployment(d) === 'runner');
  if (!hpas.some((h) => h.spec?.scaleTargetRef?.name === runner?.metadata?.name))
    p.push('no HorizontalPodAutoscaler scales the runners');
  const results = topicsIn(jobScript(l)).get(Topic.results) ?? 0;
  const orch = ofKind(l, 'Deployment').find((d) => serviceOfDeployment(d) === 'orchestrator');
  if ((orch?.spec?.replicas ?? 1) > results)
    p.push(`orchestrator replicas exceed the ${results} partitions of ${Topic.results}`);
  return p;
}

function checkDisruptionBudgets(l: Loaded): string[] {
  const p: string[] = [];
  const pdbs = ofKind(l, 'PodDisruptionBudget');
  for (const b of pdbs) {
    const where = named(b);
    const targets = matchingDeployments(l, b.spec?.selector?.matchLabels);
    if (targets.length !== 1) p.push(`${where}: selector matches ${targets.length} Deployments`);
    const hasMin = b.spec?.minAvailable !== undefined;
    if (hasMin === (b.spec?.maxUnavailable !== undefined))
      p.push(`${where}: set exactly one of minAvailable and maxUnavailable`);
    const d = targets[0];
    if (d && typeof b.spec?.minAvailable === 'number') {
      const hpa = ofKind(l, 'HorizontalPodAutoscaler').find(
        (h) => h.spec?.scaleTargetRef?.name === d.metadata?.name,
      );
      const replicas = hpa?.spec?.minReplicas ?? d.spec?.replicas ?? 1;
      if (b.spec.minAvailable >= replicas)
        p.push(`${where}: minAvailable ${b.spec.minAvailable} of ${replicas} blocks every drain`);
    }
  }
  for (const s of SERVICES) {
    const d = ofKind(l, 'Deployment').find((x) => serviceOfDeployment(x) === s);
    const labels = d?.spec?.template?.metadata?.labels;
    if (!pdbs.some((b) => isSubset(b.spec?.selector?.matchLabels, labels)))
      p.push(`no PodDisruptionBudget covers the ${s}`);
  }
  return p;
}

function checkJobs(l: Loaded): string[] {
  const p: string[] = [];
  const jobs = ofKind(l, 'Job');
  if (jobs.length === 0) p.push('no topic-creation Job');
  for (const j of jobs) {
    const where = named(j);
    const pod = j.spec?.template?.spec;
    if (pod?.restartPolicy !== 'Never' && pod?.restartPolicy !== 'OnFailure')
      p.push(`${where}: restartPolicy must be Never or OnFailure`);
    if (pod?.securityContext?.runAsNonRoot !== true) p.push(`${where}: runAsNonRoot must be true`);
    const cs = containersOf(j);
    if (cs.length === 0) p.push(`${where}: no containers`);
    for (const c of cs) p.push(...checkContainer(l, where, c, false));
  }
  return p;
}

function checkConfigMaps(l: Loaded): string[] {
  const p: string[] = [];
  for (const m of ofKind(l, 'ConfigMap')) {
    for (const [k, v] of Object.entries(m.data ?? {})) {
      if (typeof v !== 'string') p.push(`${named(m)}: data.${k} must be a string (quote it)`);
      if (!CONTRACT.has(k)) p.push(`${named(m)}: ${k} is not in the environment contract`);
      if (SECRET_VARS.has(k)) p.push(`${named(m)}: ${k} is a credential; it belongs in the Secret`);
    }
  }
  // deploy/README.md: everything but the credentials and the per-Deployment variables is in it.
  const config = ofKind(l, 'ConfigMap').find((m) => m.metadata?.name === 'aob-config');
  for (const k of CONTRACT) {
    if (!SECRET_VARS.has(k) && !PER_DEPLOYMENT.has(k) && !(k in (config?.data ?? {})))
      p.push(`ConfigMap/aob-config: ${k} is missing (every non-secret, shared variable is in it)`);
  }
  return p;
}

/** Credentials per service: the LLM key reaches runners only; compose and k8s agree. */
function checkCredentialScopes(l: Loaded): string[] {
  const p: string[] = [];
  for (const s of SERVICES) {
    const d = ofKind(l, 'Deployment').find((x) => serviceOfDeployment(x) === s);
    const k8s = new Set(
      containersOf(d ?? {}).flatMap((c) => envNames(l, c).filter((n) => SECRET_VARS.has(n))),
    );
    const env = composeEnv(l.compose.services?.[s]);
    const compose = new Set(Object.keys(env).filter((n) => SECRET_VARS.has(n)));
    if ([...k8s].sort().join() !== [...compose].sort().join())
      p.push(`${s}: credentials differ: k8s [${[...k8s]}] vs compose [${[...compose]}]`);
    if (s !== 'runner' && (k8s.has('AOB_LLM_API_KEY') || compose.has('AOB_LLM_API_KEY')))
      p.push(`${s}: only runners may see AOB_LLM_API_KEY`);
    // The validator is pure: not one value of the Secret, however it would arrive.
    const whole = containersOf(d ?? {}).some((c) => c.envFrom?.some((f) => f.secretRef));
    if (s === 'validator' && (k8s.size > 0 || compose.size > 0 || whole))
      p.push(
        `validator: needs no credential, but gets ${whole ? 'the whole Secret' : `[${[...new Set([...k8s, ...compose])]}]`}`,
      );
  }
  return p;
}

function checkKustomization(l: Loaded): string[] {
  const p: string[] = [];
  const listed = l.kustomization.resources ?? [];
  for (const r of listed) {
    if (!existsSync(join(root, K8S_DIR, r))) p.push(`kustomization lists missing ${r}`);
    if (/secret/i.test(r)) p.push(`kustomization must not list ${r}: the Secret is created apart`);
  }
  for (const f of l.k8sFiles) {
    const rel = relative(K8S_DIR, f);
    if (!listed.includes(rel)) p.push(`kustomization does not list ${rel}`);
  }
  const images = new Set(l.k8s.flatMap(({ doc }) => containersOf(doc).map((c) => c.image)));
  for (const i of l.kustomization.images ?? []) {
    if (!images.has(i.name)) p.push(`kustomization images: ${i.name} is used by no container`);
  }
  return p;
}

/** No credential values in git: the example Secret holds placeholders only. */
function checkSecrets(l: Loaded, texts: Record<string, string>): string[] {
  const p: string[] = [];
  const ex = l.secretExample.find((d) => d.kind === 'Secret');
  if (!ex || ex.metadata?.name !== SECRET_NAME)
    p.push('secret.example.yaml: no Secret aob-secrets');
  const values = { ...(ex?.data ?? {}), ...(ex?.stringData ?? {}) };
  for (const [k, v] of Object.entries(values)) {
    if (!SECRET_VARS.has(k))
      p.push(`secret.example.yaml: ${k} is not a credential of the contract`);
    if (typeof v !== 'string' || !/<[^>]+>/.test(v))
      p.push(`secret.example.yaml: ${k} must hold a <placeholder>, not a value`);
  }
  const used = new Set(
    l.k8s.flatMap(({ doc }) =>
      containersOf(doc).flatMap((c) =>
        (c.env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef?.key ?? []),
      ),
    ),
  );
  for (const k of used) if (!(k in values)) p.push(`secret.example.yaml: lacks key ${k}`);
  const leaks = [
    /\bsk-[A-Za-z0-9_-]{20,}/,
    /\bAKIA[0-9A-Z]{16}\b/,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    /\bgh[pousr]_[A-Za-z0-9]{30,}/,
  ];
  for (const [file, text] of Object.entries(texts)) {
    for (const re of leaks)
      if (re.test(text)) p.push(`${file}: looks like a committed key (${re})`);
  }
  // compose: the LLM key comes from the caller's environment, never from the file.
  for (const [name, s] of composeAob(l.compose)) {
    const v = composeEnv(s)['AOB_LLM_API_KEY'];
    if (v !== undefined && !/^\$\{AOB_LLM_API_KEY(:?-)?\}$/.test(v))
      p.push(`compose ${name}: AOB_LLM_API_KEY must be \${AOB_LLM_API_KEY:-}, not a value`);
  }
  return p;
}

function checkTopics(l: Loaded): string[] {
  const p: string[] = [];
  const code = Object.values(Topic).sort();
  const job = topicsIn(jobScript(l));
  const compose = topicsIn(composeScript(l));
  for (const [where, got, script] of [
    ['k8s Job', job, jobScript(l)],
    ['compose kafka-topics', compose, composeScript(l)],
  ] as const) {
    const names = [...got.keys()].sort();
    if (names.join() !== code.join())
      p.push(`${where}: creates [${names}], the code's topics are [${code}]`);
    if (!/kafka-topics\.sh\b[\s\S]*--create/.test(script))
      p.push(`${where}: does not run kafka-topics.sh --create`);
    for (const [t, n] of got) if (!(n >= 1)) p.push(`${where}: ${t} needs >= 1 partition`);
    // Keyed by runId: a run's partition number is the same on the topics the orchestrator reads.
    const runOwned = [Topic.results, Topic.commands, Topic.events].map((t) => got.get(t));
    if (new Set(runOwned).size !== 1)
      p.push(`${where}: results, commands and events need one partition count`);
    const jobs = [Topic.jobsHigh, Topic.jobsMedium, Topic.jobsLow].map((t) => got.get(t));
    if (new Set(jobs).size !== 1) p.push(`${where}: the jobs topics need one partition count`);
  }
  for (const t of code) {
    if (job.get(t) !== compose.get(t))
      p.push(`${t}: ${job.get(t)} partitions in k8s, ${compose.get(t)} in compose`);
  }
  return p;
}

/**
 * The partition counts the services give the topics they create themselves (AOB_KAFKA_PARTITIONS,
 * AOB_KAFKA_JOB_PARTITIONS, as each process reads its environment) are those of the topic Job in
 * k8s and of the kafka-topics job in compose: a topic made by whichever comes first is the same.
 */
function checkServicePartitions(l: Loaded): string[] {
  const p: string[] = [];
  const check = (where: string, env: Record<string, string>, want: Map<string, number>) => {
    const config = configOf(env, where, p);
    // A validator-only process opens no bus.
    if (!config || config.bus.kind !== 'kafka' || config.services.every((s) => s === 'validator'))
      return;
    const of = kafkaPartitionsOf(config.bus);
    for (const [topic, n] of want) {
      if (of(topic) !== n)
        p.push(`${where}: would create ${topic} with ${of(topic)} partitions, the topic job ${n}`);
    }
  };
  const job = topicsIn(jobScript(l));
  for (const d of ofKind(l, 'Deployment')) {
    for (const c of containersOf(d))
      check(`${named(d)} container ${c.name ?? '?'}`, k8sEnv(l, c), job);
  }
  const compose = topicsIn(composeScript(l));
  for (const [name, s] of composeAob(l.compose)) {
    check(`compose ${name}`, composeRuntimeEnv(s), compose);
  }
  return p;
}

/** Names outside comments: `env.NAME`, `env['NAME']`, and quoted AOB_/AWS_/OTEL_ names. */
function variablesIn(source: string): Set<string> {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const names = new Set<string>();
  for (const m of code.matchAll(
    /\benv\.([A-Z][A-Z0-9_]*)\b|\benv\[\s*'([A-Z][A-Z0-9_]*)'\s*\]|'((?:AOB|AWS|OTEL)_[A-Z0-9_]+)'/g,
  )) {
    names.add((m[1] ?? m[2] ?? m[3])!);
  }
  return names;
}

/**
 * deploy/README.md says only its variables configure the services: every variable the services
 * read is in its table (the contract) or in the paragraph on what they read beyond it, and every
 * variable it documents is read (or documented as unused).
 */
function checkEnvDocumented(l: Loaded): string[] {
  const p: string[] = [];
  const table = new Set(
    l.readme.split('\n').flatMap((line) => /^\| `([A-Z][A-Z0-9_]*)`/.exec(line)?.[1] ?? []),
  );
  const beyond =
    l.readme.split('\n\n').find((par) => par.startsWith("Beyond the manifests' contract")) ?? '';
  if (!beyond) p.push(`deploy/README.md: no paragraph "Beyond the manifests' contract"`);
  const documented = new Set([
    ...table,
    ...[...beyond.matchAll(/`([A-Z][A-Z0-9_]*)(?:=[^`]*)?`/g)].map((m) => m[1]!),
  ]);
  const read = new Map<string, string>();
  for (const [file, source] of Object.entries(l.envReaders)) {
    for (const name of variablesIn(source)) if (!read.has(name)) read.set(name, file);
  }
  for (const [name, file] of read) {
    if (!documented.has(name) && !UNDOCUMENTED_READS.has(name))
      p.push(`${name} is read by ${file} but not documented in deploy/README.md`);
  }
  for (const name of documented) {
    if (!read.has(name) && !DOCUMENTED_UNUSED.has(name))
      p.push(
        `${name} is documented in deploy/README.md but read by none of ${ENV_READERS.join(', ')}`,
      );
  }
  return p;
}

function hostPorts(s: ComposeService): string[] {
  return (s.ports ?? []).flatMap((port) => {
    if (typeof port !== 'string') {
      return port.published === undefined ? [] : [`${port.host_ip ?? '0.0.0.0'}:${port.published}`];
    }
    const parts = port.replace(/\/(tcp|udp)$/, '').split(':');
    if (parts.length === 3) return [`${parts[0]}:${parts[1]}`];
    if (parts.length === 2) return [`0.0.0.0:${parts[0]}`];
    return []; // container port only: the engine picks a free host port
  });
}

function checkCompose(l: Loaded): string[] {
  const p: string[] = [];
  const services = l.compose.services ?? {};
  const names = new Set(Object.keys(services));
  const oneShot = (n: string) =>
    services[n]?.restart === 'no' || services[n]?.restart === undefined;
  const healthy = (n: string) => {
    const h = services[n]?.healthcheck;
    return !!h && !h.disable && (Array.isArray(h.test) ? h.test.length > 0 : !!h.test);
  };
  for (const [name, s] of Object.entries(services)) {
    if (!s.image && !s.build) p.push(`compose ${name}: needs an image or a build`);
    for (const [dep, cond] of Object.entries(dependsOn(s))) {
      if (!names.has(dep)) p.push(`compose ${name}: depends_on ${dep}, which does not exist`);
      else if (cond === 'service_healthy' && !healthy(dep))
        p.push(`compose ${name}: waits for ${dep} to be healthy, but it has no healthcheck`);
      else if (cond === 'service_completed_successfully' && !oneShot(dep))
        p.push(`compose ${name}: waits for ${dep} to complete, but it restarts`);
      else if (
        !['service_started', 'service_healthy', 'service_completed_successfully'].includes(cond)
      )
        p.push(`compose ${name}: unknown depends_on condition ${cond}`);
    }
    for (const v of s.volumes ?? []) {
      const src = typeof v === 'string' ? v.split(':')[0]! : (v.source ?? '');
      if (src.startsWith('.') || src.startsWith('/')) {
        if (!existsSync(join(root, src))) p.push(`compose ${name}: mounts missing ${src}`);
      } else if (src && !(src in (l.compose.volumes ?? {})))
        p.push(`compose ${name}: volume ${src} is not declared`);
    }
  }
  for (const n of STATEFUL) {
    if (!names.has(n)) p.push(`compose: no ${n} service`);
    else if (!healthy(n)) p.push(`compose ${n}: a stateful service needs a healthcheck`);
  }
  // Host ports: no two services publish the same one (0.0.0.0 collides with every address).
  const taken = new Map<string, string>();
  for (const [name, s] of Object.entries(services)) {
    for (const hp of hostPorts(s)) {
      const port = hp.slice(hp.lastIndexOf(':') + 1);
      for (const [other, owner] of taken) {
        const otherPort = other.slice(other.lastIndexOf(':') + 1);
        const sameIp = other === hp || other.startsWith('0.0.0.0:') || hp.startsWith('0.0.0.0:');
        if (port === otherPort && sameIp)
          p.push(`compose: ${name} and ${owner} both publish ${hp}`);
      }
      taken.set(hp, name);
    }
  }
  // The aob services.
  const aob = composeAob(l.compose);
  for (const s of SERVICES) {
    if (!aob.some(([, x]) => composeEnv(x)['AOB_SERVICES'] === s)) p.push(`compose: no ${s}`);
  }
  for (const [name, s] of aob) {
    const env = composeEnv(s);
    for (const [k, v] of Object.entries(env)) {
      if (!CONTRACT.has(k)) p.push(`compose ${name}: env ${k} is not in the environment contract`);
      for (const m of v.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) {
        if (!CONTRACT.has(m[1]!))
          p.push(`compose ${name}: ${k} interpolates ${m[1]}, which is not in the contract`);
      }
      // Every host an env var names is a compose service.
      for (const host of v
        .split(',')
        .flatMap((x) => /^(?:\w+:\/\/)?(?:[^@/]*@)?([\w.-]+):\d+/.exec(x)?.[1] ?? [])) {
        if (!names.has(host)) p.push(`compose ${name}: ${k} names host ${host}, no such service`);
      }
    }
    const svc = (env['AOB_SERVICES'] ?? '').split(',');
    if (!svc.every((x) => (SERVICES as readonly string[]).includes(x)))
      p.push(`compose ${name}: AOB_SERVICES ${env['AOB_SERVICES']} is not a list of services`);
    const port = env['AOB_HTTP_PORT'] ?? '8080';
    const test = [s.healthcheck?.test ?? []].flat().join(' ');
    if (!new RegExp(`:${port}/(readyz|healthz)`).test(test))
      p.push(`compose ${name}: healthcheck must probe /readyz or /healthz on AOB_HTTP_PORT`);
    // It waits for what its services open, and for nothing else (the validator: for none).
    const deps = dependsOn(s);
    const uses = new Set(servicesIn(env['AOB_SERVICES']).flatMap((x) => USES[x]));
    for (const dep of STATEFUL) {
      const prep = PREPARED_BY[dep];
      if (!uses.has(dep)) {
        for (const w of [dep, prep ?? []].flat())
          if (w in deps) p.push(`compose ${name}: waits for ${w}, which its services do not use`);
      } else if (REACHED_BY[dep]! in env) {
        if (deps[dep] !== 'service_healthy')
          p.push(`compose ${name}: uses ${dep} but does not wait for it to be healthy`);
        if (prep && deps[prep] !== 'service_completed_successfully')
          p.push(`compose ${name}: must wait for ${prep} to complete`);
      }
    }
    if ((s.deploy?.replicas ?? 1) > 1 || name === 'runner') {
      if (hostPorts(s).length > 0)
        p.push(`compose ${name}: a scaled service cannot publish a host port`);
      if (s.container_name)
        p.push(`compose ${name}: a scaled service cannot have a container_name`);
    }
    const bucket = env['AOB_S3_BUCKET'];
    const init = [services['minio-init']?.command ?? []].flat().join('\n');
    if (bucket && !init.includes(`mb --ignore-existing local/${bucket}`))
      p.push(`compose ${name}: bucket ${bucket} is not created by minio-init`);
  }
  return p;
}

/**
 * Ports: each process declares (k8s) or publishes (compose) exactly the ports it listens on, as
 * the services themselves read them from its environment — which they must accept.
 */
function checkListenPorts(l: Loaded): string[] {
  const p: string[] = [];
  for (const d of ofKind(l, 'Deployment')) {
    for (const c of containersOf(d)) {
      const where = `${named(d)} container ${c.name ?? '?'}`;
      const config = configOf(k8sEnv(l, c), where, p);
      if (!config) continue;
      const wanted = listening(config);
      const declared = c.ports ?? [];
      for (const [name, port] of wanted) {
        const cp = declared.find((x) => x.containerPort === port);
        if (!cp)
          p.push(`${where}: listens on ${port} (${name}) but declares no such container port`);
        else if (cp.name !== name)
          p.push(`${where}: container port ${port} is named ${cp.name}, want ${name}`);
      }
      for (const cp of declared) {
        if (!wanted.some(([, port]) => port === cp.containerPort))
          p.push(
            `${where}: declares container port ${cp.containerPort} (${cp.name}), on which it does not listen; it listens on ${wanted.map(([n, x]) => `${n} ${x}`).join(', ')}`,
          );
      }
    }
  }
  const published = new Map<ServiceName, number[]>();
  for (const [name, s] of composeAob(l.compose)) {
    const config = configOf(composeRuntimeEnv(s), `compose ${name}`, p);
    if (!config) continue;
    const ports = listening(config).map(([, port]) => port);
    for (const port of composeContainerPorts(s)) {
      if (!ports.includes(port))
        p.push(`compose ${name}: publishes container port ${port}, on which it does not listen`);
    }
    for (const svc of config.services) {
      const own = LISTENS[svc](config).map(([, port]) => port);
      const out = composeContainerPorts(s).filter((x) => own.includes(x));
      published.set(svc, [...(published.get(svc) ?? []), ...out]);
    }
  }
  // From the laptop: `aob` to the API, the canvas and SDKs to the timelines.
  for (const svc of ['api', 'fanout'] as const) {
    if (!published.get(svc)?.length)
      p.push(
        `compose: no ${svc} publishes its ${svc === 'api' ? 'AOB_API_PORT' : 'AOB_FANOUT_PORT'}`,
      );
  }
  return p;
}

/** AOB_VALIDATOR_URL reaches the validator's gRPC port; every orchestrator is given it. */
function checkValidatorUrl(l: Loaded): string[] {
  const p: string[] = [];
  const hostPort = (url: string) => /^([^\s:/]+):(\d+)$/.exec(url);
  for (const d of ofKind(l, 'Deployment')) {
    for (const c of containersOf(d)) {
      const where = named(d);
      const env = k8sEnv(l, c);
      const url = env['AOB_VALIDATOR_URL'];
      if (url === undefined) {
        if (servicesIn(env['AOB_SERVICES']).includes('orchestrator'))
          p.push(`${where}: an orchestrator needs AOB_VALIDATOR_URL (the validator service)`);
        continue;
      }
      const m = hostPort(url);
      // `aob-validator`, `aob-validator.aob` or `aob-validator.aob.svc.cluster.local`.
      const svc = ofKind(l, 'Service').find((x) => x.metadata?.name === m?.[1]?.split('.')[0]);
      const sp = svc?.spec?.ports?.find((x) => x.port === Number(m?.[2]));
      if (!svc || !sp) {
        p.push(`${where}: AOB_VALIDATOR_URL ${url} names no Service port`);
        continue;
      }
      const reached = matchingDeployments(l, svc.spec?.selector as Labels | undefined).flatMap(
        (t) =>
          containersOf(t).flatMap((tc) => {
            const config = configOf(k8sEnv(l, tc), named(t), []);
            const port = tc.ports?.find((x) =>
              [x.name, x.containerPort].includes(sp.targetPort ?? sp.port),
            )?.containerPort;
            return config?.services.includes('validator') && port === config.validatorPort
              ? [t]
              : [];
          }),
      );
      if (reached.length === 0)
        p.push(
          `${where}: AOB_VALIDATOR_URL ${url} does not reach a validator's AOB_VALIDATOR_PORT`,
        );
    }
  }
  const services = l.compose.services ?? {};
  for (const [name, s] of composeAob(l.compose)) {
    const env = composeRuntimeEnv(s);
    const url = env['AOB_VALIDATOR_URL'];
    if (url === undefined) {
      if (servicesIn(env['AOB_SERVICES']).includes('orchestrator'))
        p.push(`compose ${name}: an orchestrator needs AOB_VALIDATOR_URL (the validator service)`);
      continue;
    }
    const m = hostPort(url);
    const target = services[m?.[1] ?? ''];
    const config = target && configOf(composeRuntimeEnv(target), `compose ${m?.[1]}`, []);
    if (!config?.services.includes('validator') || config.validatorPort !== Number(m?.[2]))
      p.push(
        `compose ${name}: AOB_VALIDATOR_URL ${url} does not reach a validator's AOB_VALIDATOR_PORT`,
      );
    else if (dependsOn(s)[m![1]!] !== 'service_healthy')
      p.push(`compose ${name}: must wait for ${m![1]} (AOB_VALIDATOR_URL) to be healthy`);
  }
  return p;
}

function checkCollector(l: Loaded): string[] {
  const p: string[] = [];
  const c = l.collector as {
    receivers?: Record<string, unknown>;
    processors?: Record<string, unknown>;
    exporters?: Record<string, { endpoint?: string }>;
    extensions?: Record<string, unknown>;
    service?: {
      extensions?: string[];
      pipelines?: Record<
        string,
        { receivers?: string[]; processors?: string[]; exporters?: string[] }
      >;
    };
  };
  const pipelines = c.service?.pipelines ?? {};
  if (!pipelines['traces']) p.push('otel-collector: no traces pipeline');
  for (const [name, pl] of Object.entries(pipelines)) {
    for (const [section, ids] of [
      ['receivers', pl.receivers],
      ['processors', pl.processors],
      ['exporters', pl.exporters],
    ] as const) {
      for (const id of ids ?? []) {
        if (!(id in (c[section] ?? {})))
          p.push(`otel-collector: pipeline ${name} uses undefined ${section} ${id}`);
      }
    }
  }
  for (const id of c.service?.extensions ?? [])
    if (!(id in (c.extensions ?? {}))) p.push(`otel-collector: undefined extension ${id}`);
  const traceExporters = pipelines['traces']?.exporters ?? [];
  const toJaeger = traceExporters.some((id) => {
    const host = /^(?:\w+:\/\/)?([\w.-]+):/.exec(c.exporters?.[id]?.endpoint ?? '')?.[1];
    return host === 'jaeger' && !!l.compose.services?.[host];
  });
  if (!toJaeger) p.push('otel-collector: traces are not exported to the jaeger service');
  return p;
}

const CHECKS = {
  checkK8sDocuments,
  checkDeployments,
  checkServices,
  checkAutoscaling,
  checkDisruptionBudgets,
  checkJobs,
  checkConfigMaps,
  checkCredentialScopes,
  checkListenPorts,
  checkValidatorUrl,
  checkKustomization,
  checkTopics,
  checkServicePartitions,
  checkEnvDocumented,
  checkCompose,
  checkCollector,
};

// ---------------------------------------------------------------------------------------------

const loaded = load();
const committedTexts = Object.fromEntries(
  [...yamlFiles('deploy'), 'docker-compose.yml', 'Dockerfile'].map((f) => [f, read(f)]),
);

describe('deployment manifests', () => {
  it('every YAML file under deploy/ and docker-compose.yml parses', () => {
    const files = [...yamlFiles('deploy'), 'docker-compose.yml'];
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(() => parseFile(f), f).not.toThrow();
    expect(parse(read('docker-compose.yml'), { merge: true })).toHaveProperty('services');
  });

  it.each(Object.entries(CHECKS))('%s finds no problem', (_name, check) => {
    expect(check(loaded)).toEqual([]);
  });

  it('no credential is committed (checkSecrets)', () => {
    expect(checkSecrets(loaded, committedTexts)).toEqual([]);
  });

  it('deploy/README.md documents exactly the environment contract', () => {
    const table = read('deploy/README.md')
      .split('\n')
      .flatMap((line) => /^\| `([A-Z][A-Z0-9_]*)`/.exec(line)?.[1] ?? []);
    expect([...new Set(table)].sort()).toEqual([...CONTRACT].sort());
  });

  it('the topics are the code’s (packages/core/src/run/messages.ts)', () => {
    expect([...topicsIn(jobScript(loaded)).keys()].sort()).toEqual(Object.values(Topic).sort());
    expect([...topicsIn(composeScript(loaded)).keys()].sort()).toEqual(Object.values(Topic).sort());
  });

  it('the Dockerfile builds the workspaces and runs `aob server` as a non-root user', () => {
    const df = read('Dockerfile');
    expect(df).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(df).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(df).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    expect(df).toMatch(/npm ci\b/);
    // The install skips scripts, so the root postinstall's patches are applied by hand, each one
    // there: an image without them would run unpatched kafkajs and oclif.
    expect(df).toMatch(/^COPY patches\/ patches\/$/m);
    expect(df).toMatch(/npx patch-package --error-on-fail/);
    expect(readdirSync(join(root, 'patches')).length).toBeGreaterThan(0);
    expect(df).toMatch(/npm run build\b/);
    expect(df).toMatch(/npm prune --omit=dev\b/);
    expect(df).toMatch(/^USER 1000:1000$/m);
    expect(df).toMatch(/^ENTRYPOINT \["node", "cli\/bin\/run\.js", "server"\]$/m);
    expect(existsSync(join(root, 'cli/bin/run.js'))).toBe(true);
    // Every workspace of package.json is copied into the build: its manifest before `npm ci`,
    // its sources (by its top folder) before the build, and into the runtime stage.
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const dirs = workspaces.flatMap((w) =>
      w.endsWith('/*')
        ? readdirSync(join(root, w.slice(0, -2)))
            .map((d) => `${w.slice(0, -2)}/${d}`)
            .filter((d) => existsSync(join(root, d, 'package.json')))
        : [w],
    );
    expect(dirs).toEqual(expect.arrayContaining(['packages/control', 'services/api', 'cli']));
    for (const ws of dirs) {
      expect(df, ws).toContain(`COPY ${ws}/package.json ${ws}/`);
      const top = ws.split('/')[0]!;
      expect(df, ws).toContain(`COPY ${top}/ ${top}/`);
      expect(df, ws).toContain(`COPY --from=build /app/${top}/ ${top}/`);
    }
    const ignore = read('.dockerignore');
    expect(ignore).toMatch(/^\*\*\/node_modules$/m);
    expect(ignore).toMatch(/^\*\*\/\*\.tsbuildinfo$/m);
  });
});

/** A parsed copy to break. */
const copy = (): Loaded => structuredClone(loaded);
const doc = (l: Loaded, kind: string, name: string): K8sDoc => {
  const d = l.k8s.find((e) => e.doc.kind === kind && e.doc.metadata?.name === name)?.doc;
  if (!d) throw new Error(`no ${kind}/${name}`);
  return d;
};
const container = (l: Loaded, name: string): Container =>
  containersOf(doc(l, 'Deployment', name))[0]!;

describe('the checks catch broken manifests', () => {
  const cases: [string, (l: Loaded) => void, (l: Loaded) => string[], RegExp][] = [
    [
      'a Deployment selector that misses its pods',
      (l) =>
        (doc(l, 'Deployment', 'aob-api').spec!.selector!.matchLabels![
          'app.kubernetes.io/component'
        ] = 'apx'),
      checkDeployments,
      /aob-api: spec.selector/,
    ],
    [
      'a Deployment without a readiness probe',
      (l) => delete container(l, 'aob-runner').readinessProbe,
      checkDeployments,
      /readiness probe missing/,
    ],
    [
      'a memory request above its limit',
      (l) => (container(l, 'aob-orchestrator').resources!.requests!['memory'] = '2Gi'),
      checkDeployments,
      /memory request 2Gi exceeds/,
    ],
    [
      'a writable root filesystem',
      (l) => (container(l, 'aob-api').securityContext!.readOnlyRootFilesystem = false),
      checkDeployments,
      /readOnlyRootFilesystem/,
    ],
    [
      'an env var outside the contract',
      (l) => container(l, 'aob-runner').env!.push({ name: 'AOB_TYPO', value: 'x' }),
      checkDeployments,
      /env AOB_TYPO is not in the environment contract/,
    ],
    [
      'a secretKeyRef to another Secret',
      (l) => {
        const e = container(l, 'aob-api').env!.find((x) => x.valueFrom?.secretKeyRef)!;
        e.valueFrom!.secretKeyRef!.name = 'other-secrets';
      },
      checkDeployments,
      /reads Secret other-secrets, not aob-secrets/,
    ],
    [
      'a credential given as a literal value',
      (l) => {
        const env = container(l, 'aob-runner').env!;
        const i = env.findIndex((x) => x.name === 'AOB_LLM_API_KEY');
        env[i] = { name: 'AOB_LLM_API_KEY', value: 'not-a-secret' };
      },
      checkDeployments,
      /AOB_LLM_API_KEY is a credential and must come from secretKeyRef/,
    ],
    [
      'a Service selecting no Deployment',
      (l) =>
        ((doc(l, 'Service', 'aob-api').spec!.selector as Labels)['app.kubernetes.io/component'] =
          'gone'),
      checkServices,
      /Service\/aob-api: selector matches 0 Deployments/,
    ],
    [
      'an HPA scaling a missing Deployment',
      (l) =>
        (doc(l, 'HorizontalPodAutoscaler', 'aob-runner').spec!.scaleTargetRef!.name =
          'aob-runners'),
      checkAutoscaling,
      /scaleTargetRef Deployment\/aob-runners names no Deployment/,
    ],
    [
      'an HPA with minReplicas above maxReplicas',
      (l) => (doc(l, 'HorizontalPodAutoscaler', 'aob-runner').spec!.minReplicas = 30),
      checkAutoscaling,
      /minReplicas <= maxReplicas/,
    ],
    [
      'a PDB selecting nothing',
      (l) =>
        (doc(l, 'PodDisruptionBudget', 'aob-runner').spec!.selector!.matchLabels = { app: 'x' }),
      checkDisruptionBudgets,
      /PodDisruptionBudget\/aob-runner: selector matches 0/,
    ],
    [
      'a Deployment whose pods Prometheus would scrape on another port',
      (l) =>
        (doc(l, 'Deployment', 'aob-runner').spec!.template!.metadata!.annotations![
          'prometheus.io/port'
        ] = '9464'),
      checkDeployments,
      /aob-runner: pod annotation prometheus.io\/port must be "8080"/,
    ],
    [
      'a Job that restarts Always',
      (l) => (doc(l, 'Job', 'aob-create-topics').spec!.template!.spec!.restartPolicy = 'Always'),
      checkJobs,
      /restartPolicy must be Never or OnFailure/,
    ],
    [
      'a ConfigMap number left unquoted',
      (l) => (doc(l, 'ConfigMap', 'aob-config').data!['AOB_HTTP_PORT'] = 8080),
      checkConfigMaps,
      /data.AOB_HTTP_PORT must be a string/,
    ],
    [
      'a committed Secret',
      (l) =>
        l.k8s.push({
          file: `${K8S_DIR}/secret.yaml`,
          doc: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'aob-secrets' } },
        }),
      checkK8sDocuments,
      /a Secret must not be committed/,
    ],
    [
      'a manifest the kustomization does not list',
      (l) => l.k8sFiles.push(`${K8S_DIR}/extra.yaml`),
      checkKustomization,
      /does not list extra.yaml/,
    ],
    [
      'a topic missing from the Job',
      (l) => {
        const c = containersOf(doc(l, 'Job', 'aob-create-topics'))[0]!;
        c.args = c.args!.map((a) => a.replace(/^.*aob\.run\.commands.*$/m, ''));
      },
      checkTopics,
      /k8s Job: creates \[.*\], the code's topics are/,
    ],
    [
      'compose partition counts that differ from the Job',
      (l) => {
        const s = l.compose.services!['kafka-topics']!;
        s.command = [
          String([s.command].flat()[0]).replace(
            /aob\.node\.results --partitions 12/,
            'aob.node.results --partitions 6',
          ),
        ];
      },
      checkTopics,
      /aob.node.results: 12 partitions in k8s, 6 in compose/,
    ],
    [
      'a compose dependency on a missing service',
      (l) =>
        ((l.compose.services!['api']!.depends_on as Record<string, object>)['postgress'] = {
          condition: 'service_healthy',
        }),
      checkCompose,
      /depends_on postgress, which does not exist/,
    ],
    [
      'two compose services publishing one host port',
      (l) => l.compose.services!['redis']!.ports!.push('127.0.0.1:5432:5432'),
      checkCompose,
      /both publish 127.0.0.1:5432/,
    ],
    [
      'a stateful compose service without a healthcheck',
      (l) => delete l.compose.services!['kafka']!.healthcheck,
      checkCompose,
      /kafka: a stateful service needs a healthcheck|waits for kafka to be healthy/,
    ],
    [
      'an LLM key in the orchestrator',
      (l) =>
        ((l.compose.services!['orchestrator']!.environment as Record<string, string>)[
          'AOB_LLM_API_KEY'
        ] = '${AOB_LLM_API_KEY:-}'),
      checkCredentialScopes,
      /orchestrator: credentials differ|only runners may see AOB_LLM_API_KEY/,
    ],
    [
      'a service without a Deployment',
      (l) => (l.k8s = l.k8s.filter((e) => e.doc.metadata?.name !== 'aob-hitl')),
      checkDeployments,
      /no Deployment runs hitl/,
    ],
    [
      'a service without a PodDisruptionBudget',
      (l) =>
        (l.k8s = l.k8s.filter(
          (e) => !(e.doc.kind === 'PodDisruptionBudget' && e.doc.metadata?.name === 'aob-fanout'),
        )),
      checkDisruptionBudgets,
      /no PodDisruptionBudget covers the fanout/,
    ],
    [
      'a container port that no Service exposes',
      (l) => {
        const svc = doc(l, 'Service', 'aob-api');
        svc.spec!.ports = svc.spec!.ports!.filter((x) => x.name !== 'grpc');
      },
      checkServices,
      /Deployment\/aob-api: container port grpc is exposed by no Service/,
    ],
    [
      'a container port other than the one AOB_FANOUT_PORT says',
      (l) =>
        (container(l, 'aob-fanout').ports!.find((x) => x.name === 'sse')!.containerPort = 8082),
      checkListenPorts,
      /aob-fanout container fanout: listens on 8081 \(sse\) but declares no such container port/,
    ],
    [
      'a ConfigMap port the Deployments do not declare',
      (l) => (doc(l, 'ConfigMap', 'aob-config').data!['AOB_VALIDATOR_PORT'] = '50060'),
      checkListenPorts,
      /aob-validator container validator: listens on 50060 \(grpc\)/,
    ],
    [
      'the api without its gRPC port',
      (l) => {
        const c = container(l, 'aob-api');
        c.ports = c.ports!.filter((x) => x.name !== 'grpc');
      },
      checkListenPorts,
      /aob-api container api: listens on 50051 \(grpc\) but declares no such container port/,
    ],
    [
      'a container port nothing listens on',
      (l) => container(l, 'aob-runner').ports!.push({ name: 'api', containerPort: 8090 }),
      checkListenPorts,
      /aob-runner container runner: declares container port 8090 \(api\), on which it does not listen/,
    ],
    [
      'an environment the services refuse',
      (l) => {
        const c = container(l, 'aob-hitl');
        c.env = c.env!.filter((x) => x.name !== 'AOB_DATABASE_URL');
      },
      checkListenPorts,
      /aob-hitl container hitl: the services refuse this environment: .*AOB_DATABASE_URL is required by the hitl/,
    ],
    [
      'compose publishing a port the service does not listen on',
      (l) => l.compose.services!['fanout']!.ports!.push('127.0.0.1:8090:8090'),
      checkListenPorts,
      /compose fanout: publishes container port 8090, on which it does not listen/,
    ],
    [
      'compose without the API published',
      (l) => (l.compose.services!['api']!.ports = []),
      checkListenPorts,
      /compose: no api publishes its AOB_API_PORT/,
    ],
    [
      'an orchestrator pointed at the api instead of the validator',
      (l) =>
        (container(l, 'aob-orchestrator').env!.find((x) => x.name === 'AOB_VALIDATOR_URL')!.value =
          'aob-api:50051'),
      checkValidatorUrl,
      /aob-orchestrator: AOB_VALIDATOR_URL aob-api:50051 does not reach a validator/,
    ],
    [
      'an orchestrator without AOB_VALIDATOR_URL',
      (l) =>
        delete (l.compose.services!['orchestrator']!.environment as Record<string, string>)[
          'AOB_VALIDATOR_URL'
        ],
      checkValidatorUrl,
      /compose orchestrator: an orchestrator needs AOB_VALIDATOR_URL/,
    ],
    [
      'a validator given the database URL',
      (l) =>
        container(l, 'aob-validator').env!.push({
          name: 'AOB_DATABASE_URL',
          valueFrom: { secretKeyRef: { name: 'aob-secrets', key: 'AOB_DATABASE_URL' } },
        }),
      checkCredentialScopes,
      /validator: needs no credential, but gets \[AOB_DATABASE_URL\]/,
    ],
    [
      'a validator given the whole Secret',
      (l) => container(l, 'aob-validator').envFrom!.push({ secretRef: { name: 'aob-secrets' } }),
      checkCredentialScopes,
      /validator: needs no credential, but gets the whole Secret/,
    ],
    [
      'a compose validator waiting for the database',
      (l) =>
        ((l.compose.services!['validator']!.depends_on as Record<string, object>)['postgres'] = {
          condition: 'service_healthy',
        }),
      checkCompose,
      /compose validator: waits for postgres, which its services do not use/,
    ],
    [
      'a shared variable missing from the ConfigMap',
      (l) => delete doc(l, 'ConfigMap', 'aob-config').data!['AOB_REDELIVER_MS'],
      checkConfigMaps,
      /aob-config: AOB_REDELIVER_MS is missing/,
    ],
    [
      'services that would create the job topics with another count than the Job',
      (l) => (doc(l, 'ConfigMap', 'aob-config').data!['AOB_KAFKA_JOB_PARTITIONS'] = '12'),
      checkServicePartitions,
      /aob-runner container runner: would create aob.node.jobs.high with 12 partitions, the topic job 24/,
    ],
    [
      'compose services whose default count differs from the kafka-topics job',
      (l) => {
        const s = l.compose.services!['kafka-topics']!;
        s.command = [
          String([s.command].flat()[0]).replace(
            /aob\.run\.commands --partitions 12/,
            'aob.run.commands --partitions 16',
          ),
        ];
      },
      checkServicePartitions,
      /compose orchestrator: would create aob.run.commands with 12 partitions, the topic job 16/,
    ],
    [
      'a variable the configuration reads that the README does not document',
      (l) =>
        (l.readme = l.readme
          .split('\n')
          .filter((line) => !line.startsWith('| `AOB_REDELIVER_MS`'))
          .join('\n')),
      checkEnvDocumented,
      /AOB_REDELIVER_MS is read by packages\/engine\/src\/cluster\/config.ts but not documented/,
    ],
    [
      'a new variable read by the configuration',
      (l) => {
        const f = 'packages/engine/src/cluster/config.ts';
        l.envReaders[f] += `\nconst x = integer(env, 'AOB_NEW_KNOB', 1, 0, 9, problems);\n`;
      },
      checkEnvDocumented,
      /AOB_NEW_KNOB is read by packages\/engine\/src\/cluster\/config.ts but not documented/,
    ],
    [
      'a documented variable no service reads',
      (l) => {
        const f = 'packages/engine/src/cluster/config.ts';
        l.envReaders[f] = l.envReaders[f]!.replaceAll(`'AOB_S3_FORCE_PATH_STYLE'`, `'AOB_X'`);
        // A comment naming it is no reading.
        l.envReaders[f] += `\n// AOB_S3_FORCE_PATH_STYLE: path-style URLs\n`;
      },
      checkEnvDocumented,
      /AOB_S3_FORCE_PATH_STYLE is documented in deploy\/README.md but read by none/,
    ],
  ];

  it.each(cases)('%s', (_name, mutate, check, expected) => {
    expect(check(loaded)).toEqual([]);
    const l = copy();
    mutate(l);
    const problems = check(l);
    expect(
      problems.some((x) => expected.test(x)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('a committed key in compose and a real value in the example Secret', () => {
    const l = copy();
    (l.compose.services!['runner']!.environment as Record<string, string>)['AOB_LLM_API_KEY'] =
      'sk-live';
    const ex = l.secretExample.find((d) => d.kind === 'Secret')!;
    ex.stringData!['AWS_SECRET_ACCESS_KEY'] = 'wJalrXUtnFEMI';
    const texts = {
      ...committedTexts,
      'deploy/leak.yaml': 'key: sk-abcdefghijklmnopqrstuvwxyz012345',
    };
    const problems = checkSecrets(l, texts);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/compose runner: AOB_LLM_API_KEY must be/),
        expect.stringMatching(/AWS_SECRET_ACCESS_KEY must hold a <placeholder>/),
        expect.stringMatching(/deploy\/leak.yaml: looks like a committed key/),
      ]),
    );
  });
});
