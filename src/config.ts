import { z } from 'zod';
import { parseMasterKey } from './adapters/secrets/master-keyring.js';
import { DEFAULT_BILLING_BATCH_SIZE, MAX_BILLING_BATCH_SIZE } from './domain/billing/batches.js';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const masterKeySchema = z.string().refine(
  (value) => {
    try {
      return Boolean(parseMasterKey(value));
    } catch {
      return false;
    }
  },
  { message: 'must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)' },
);

const durationUnits = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A comma-separated list of durations (`0`, `500ms`, `5s`, `5m`, `2h`, `1d`; no unit: seconds), in ms. */
const durationsFromEnv = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()))
  .pipe(
    z
      .array(z.string().regex(/^\d+(ms|s|m|h|d)?$/, 'durations like 0, 500ms, 5s, 5m, 2h or 1d'))
      .min(1)
      .max(50),
  )
  .transform((parts) =>
    parts.map((part) => {
      const [, amount, unit] = /^(\d+)(ms|s|m|h|d)?$/.exec(part)!;
      return Number(amount) * durationUnits[(unit ?? 's') as keyof typeof durationUnits];
    }),
  );

const configSchema = z.object({
  BAZAAR_MODE: z.enum(['local', 'production']).default('local'),
  /** Which parts this process runs: the HTTP API, the Temporal worker, or both (the default). */
  BAZAAR_ROLES: z
    .string()
    .transform((value) => [...new Set(value.split(',').map((role) => role.trim()))])
    .pipe(z.array(z.enum(['api', 'worker', 'gateway'])).min(1))
    .default(['api', 'worker', 'gateway']),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** The tool and LLM gateway's own port (role `gateway`), which agents call with their execution's token. */
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(3100),
  /**
   * The Unix socket on which a worker serves the gateway to its local sandboxes (bind-mounted into
   * each sandbox, whose network has nothing else); default <DATA_DIR>/gateway.sock.
   */
  GATEWAY_SOCKET: z.string().min(1).optional(),
  /** The gateway's address as publisher-hosted agents reach it (sent in the signed request). */
  GATEWAY_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The gateway's address as agents in Kubernetes Jobs reach it (its Service; the NetworkPolicy allows it). */
  GATEWAY_INTERNAL_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** A PEM file of extra certificate authorities to trust for tools' upstreams (private PKI, tests). */
  GATEWAY_UPSTREAM_CA_FILE: z.string().min(1).optional(),
  /**
   * Where the gateway journals each call's record before answering it, so a killed process writes it
   * at its next start (local disk; on Kubernetes an emptyDir); default <DATA_DIR>/gateway-journal.
   */
  GATEWAY_JOURNAL_DIR: z.string().min(1).optional(),
  /** Test only: hold each batch of the gateway's call records this long before writing it (0: none). */
  TEST_ONLY_GATEWAY_RECORD_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  /** Serve Prometheus metrics at /metrics on this port of its own (0: any free port); unset: not served. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Where to send traces over OTLP/HTTP (e.g. http://collector:4318); unset: no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** The service name traces carry. */
  OTEL_SERVICE_NAME: z.string().min(1).default('bazaar'),
  /**
   * The share (0–1) of GET and HEAD requests that start a trace when the caller sends no
   * traceparent; every write is traced, and a request with a traceparent follows its sampled flag.
   */
  TRACE_READS_RATIO: z.coerce.number().min(0).max(1).default(0.1),
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/bazaar'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('bazaar'),
  /** Temporal Cloud API key; when set, the connection uses TLS. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  /** Start a Temporal dev server as a child process (local mode default). */
  TEMPORAL_DEV_SERVER: booleanFromEnv.optional(),
  /** Path of the `temporal` CLI; set by scripts/setup.sh. */
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  /**
   * Where the API keeps the in-process vector index's snapshot between starts (a cache: without it the
   * index is rebuilt from PostgreSQL); default <DATA_DIR>/search-index, `off` to rebuild at every start.
   */
  SEARCH_INDEX_DIR: z.string().min(1).optional(),
  REVIEW_TIMEOUT_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(7 * 24 * 3600),
  /** Failed authentications (401) one client address may have per minute; more answer 429. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  /** Executions one installation may start per minute; more answer 429. */
  EXECUTION_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** How long a sync execution request waits for the agent before answering 202 instead. */
  EXECUTION_SYNC_WAIT_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  /** Let remote agents' endpoints resolve to loopback, private or link-local addresses (tests, private deployments). */
  REMOTE_AGENTS_ALLOW_PRIVATE_NETWORKS: booleanFromEnv.default(false),
  /** A PEM file of extra certificate authorities to trust for remote agents' endpoints (private PKI). */
  REMOTE_AGENTS_CA_FILE: z.string().min(1).optional(),
  /** The most a remote agent's endpoint may answer, in bytes. */
  REMOTE_AGENTS_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** Let webhook endpoints be loopback, private or link-local addresses, over plain http:// too (local development, tests). */
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: booleanFromEnv.default(false),
  /** A PEM file of extra certificate authorities to trust for webhook endpoints. */
  WEBHOOKS_CA_FILE: z.string().min(1).optional(),
  /** When each attempt of a delivery is made, after the previous one failed (the first: after the event). */
  WEBHOOKS_RETRY_SCHEDULE: durationsFromEnv.prefault('0,5s,5m,30m,2h,5h,10h,10h'),
  /** An endpoint whose attempts have all failed for this long is disabled. */
  WEBHOOKS_DISABLE_AFTER: durationsFromEnv.prefault('5d'),
  /** How long an endpoint has to answer 2xx for an attempt to succeed. */
  WEBHOOKS_ATTEMPT_TIMEOUT: durationsFromEnv.prefault('15s'),
  /** How often every worker looks for due deliveries whose wake-up was missed. */
  WEBHOOKS_SWEEP_INTERVAL: durationsFromEnv.prefault('30s'),
  /** Requests in flight at once to one endpoint (1: strictly in event order). */
  WEBHOOKS_ENDPOINT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Run container agents (`runtime.kind: "container"`) as Kubernetes Jobs. */
  KUBERNETES_RUNTIME: booleanFromEnv.default(false),
  /** A kubeconfig file; unset: the service account of the pod Bazaar runs in. */
  KUBERNETES_KUBECONFIG: z.string().min(1).optional(),
  /** Set by Kubernetes in every pod: tells that Bazaar runs inside a cluster. */
  KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
  /** Prefix of the per-tenant agent namespaces (the tenant id follows; at most 63 characters in all). */
  KUBERNETES_NAMESPACE_PREFIX: z
    .string()
    .max(27)
    .regex(/^[a-z][a-z0-9-]*-$/, 'lowercase letters, digits and dashes, ending in a dash')
    .default('bazaar-t-'),
  /**
   * The worker's own ServiceAccount as namespace/name: each agent namespace binds it to the
   * bazaar-agent-namespace ClusterRole (k8s/rbac.yaml). Unset: Bazaar's identity has rights of its own.
   */
  KUBERNETES_WORKER_SERVICE_ACCOUNT: z
    .string()
    .regex(/^[a-z0-9-]+\/[a-z0-9.-]+$/, 'namespace/name of a ServiceAccount')
    .transform((value) => {
      const [namespace, name] = value.split('/') as [string, string];
      return { namespace, name };
    })
    .optional(),
  /** How long Kubernetes keeps a finished Job the driver could not delete itself. */
  KUBERNETES_JOB_TTL_SECONDS: z.coerce.number().int().min(0).default(600),
  /** How often a running agent Job is polled. */
  KUBERNETES_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OPENAI_API_KEY: z.string().min(1).optional(),
  QDRANT_URL: z.url().optional(),
  QDRANT_API_KEY: z.string().min(1).optional(),
  /** Where tenants' secrets live: envelope-encrypted in PostgreSQL, or Vault / OpenBao KV v2. */
  SECRET_STORE: z.enum(['postgres', 'vault']).default('postgres'),
  SECRETS_MASTER_KEY: masterKeySchema.optional(),
  /** Comma-separated older master keys, still accepted for reading until rotation re-wraps them. */
  SECRETS_PREVIOUS_MASTER_KEYS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .pipe(z.array(masterKeySchema))
    .default([]),
  VAULT_ADDR: z.url().optional(),
  VAULT_TOKEN: z.string().min(1).optional(),
  VAULT_KV_MOUNT: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'a KV v2 mount name')
    .default('secret'),
  /** Stripe secret key; unset: invoices live in PostgreSQL only. */
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  /** Another Stripe API host (stripe-mock in tests), with its port and protocol. */
  STRIPE_API_HOST: z.string().min(1).optional(),
  STRIPE_API_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
  /** The platform's share of every invoice line, in percent (up to 2 decimals). */
  PLATFORM_FEE_PERCENT: z
    .string()
    .regex(/^(100(\.0{1,2})?|\d{1,2}(\.\d{1,2})?)$/, 'a percentage from 0 to 100 with at most 2 decimals')
    .default('20'),
  /** Register the Temporal Schedule that bills each month shortly after it ends. */
  BILLING_SCHEDULE: booleanFromEnv.default(true),
  /** Tenants billed by one child workflow of a billing run (see bench/billing.bench.ts for the choice). */
  BILLING_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_BILLING_BATCH_SIZE)
    .default(DEFAULT_BILLING_BATCH_SIZE),
  /** How long a console session lasts after sign-in, in seconds (absolute, not sliding); default 12 h. */
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .default(12 * 3600),
  /**
   * Bazaar runs behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto: trust that
   * header to tell whether the browser used https (the session cookie is then Secure).
   */
  TRUST_PROXY: booleanFromEnv.default(false),
  /** The built console (index.html and assets/); default web/dist of this checkout. */
  CONSOLE_DIR: z.string().min(1).optional(),
});

/** Bazaar's whole configuration, parsed once from the environment at start-up. */
export type Config = ReturnType<typeof toConfig>;

/** Thrown when the environment holds a bad value; the message names every offending variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function toConfig(env: z.infer<typeof configSchema>) {
  const local = env.BAZAAR_MODE === 'local';
  return {
    mode: env.BAZAAR_MODE,
    roles: env.BAZAAR_ROLES,
    port: env.PORT,
    metricsPort: env.METRICS_PORT,
    gateway: {
      port: env.GATEWAY_PORT,
      socketPath: env.GATEWAY_SOCKET ?? `${env.DATA_DIR}/gateway.sock`,
      publicUrl: env.GATEWAY_PUBLIC_URL ?? `http://localhost:${env.GATEWAY_PORT}`,
      internalUrl: env.GATEWAY_INTERNAL_URL ?? `http://bazaar-gateway.bazaar-system.svc:${env.GATEWAY_PORT}`,
      upstreamCaFile: env.GATEWAY_UPSTREAM_CA_FILE,
      journalDir: env.GATEWAY_JOURNAL_DIR ?? `${env.DATA_DIR}/gateway-journal`,
      testOnlyRecordDelayMs: env.TEST_ONLY_GATEWAY_RECORD_DELAY_MS,
    },
    tracing: env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? {
          endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
          serviceName: env.OTEL_SERVICE_NAME,
          readsRatio: env.TRACE_READS_RATIO,
        }
      : null,
    databaseUrl: env.DATABASE_URL,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      apiKey: env.TEMPORAL_API_KEY,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      uiPort: env.TEMPORAL_UI_PORT,
      startDevServer: env.TEMPORAL_DEV_SERVER ?? local,
      cliPath: env.TEMPORAL_CLI_PATH,
    },
    adminToken: env.ADMIN_TOKEN,
    dataDir: env.DATA_DIR,
    searchIndexDir:
      env.SEARCH_INDEX_DIR === 'off' ? null : (env.SEARCH_INDEX_DIR ?? `${env.DATA_DIR}/search-index`),
    reviewTimeoutSeconds: env.REVIEW_TIMEOUT_SECONDS,
    executionSyncWaitSeconds: env.EXECUTION_SYNC_WAIT_SECONDS,
    executionRateLimitPerMinute: env.EXECUTION_RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
    remoteAgents: {
      allowPrivateNetworks: env.REMOTE_AGENTS_ALLOW_PRIVATE_NETWORKS,
      caFile: env.REMOTE_AGENTS_CA_FILE,
      maxResponseBytes: env.REMOTE_AGENTS_MAX_RESPONSE_BYTES,
    },
    webhooks: {
      allowPrivateNetworks: env.WEBHOOKS_ALLOW_PRIVATE_NETWORKS,
      caFile: env.WEBHOOKS_CA_FILE,
      retryScheduleMs: env.WEBHOOKS_RETRY_SCHEDULE,
      disableAfterMs: env.WEBHOOKS_DISABLE_AFTER[0]!,
      attemptTimeoutMs: env.WEBHOOKS_ATTEMPT_TIMEOUT[0]!,
      sweepIntervalMs: env.WEBHOOKS_SWEEP_INTERVAL[0]!,
      endpointConcurrency: env.WEBHOOKS_ENDPOINT_CONCURRENCY,
    },
    kubernetes: {
      enabled: env.KUBERNETES_RUNTIME,
      kubeconfigPath: env.KUBERNETES_KUBECONFIG,
      namespacePrefix: env.KUBERNETES_NAMESPACE_PREFIX,
      ttlSecondsAfterFinished: env.KUBERNETES_JOB_TTL_SECONDS,
      pollIntervalMs: env.KUBERNETES_POLL_INTERVAL_MS,
      workerServiceAccount: env.KUBERNETES_WORKER_SERVICE_ACCOUNT,
    },
    logLevel: env.LOG_LEVEL,
    openaiApiKey: env.OPENAI_API_KEY,
    qdrantUrl: env.QDRANT_URL,
    qdrantApiKey: env.QDRANT_API_KEY,
    secrets: {
      store: env.SECRET_STORE,
      masterKey: env.SECRETS_MASTER_KEY,
      previousMasterKeys: env.SECRETS_PREVIOUS_MASTER_KEYS,
      vault: { address: env.VAULT_ADDR, token: env.VAULT_TOKEN, kvMount: env.VAULT_KV_MOUNT },
    },
    billing: {
      platformFeePercent: env.PLATFORM_FEE_PERCENT,
      schedule: env.BILLING_SCHEDULE,
      batchSize: env.BILLING_BATCH_SIZE,
      stripe: {
        secretKey: env.STRIPE_SECRET_KEY,
        host: env.STRIPE_API_HOST,
        port: env.STRIPE_API_PORT,
        protocol: env.STRIPE_API_PROTOCOL,
      },
    },
    console: {
      sessionTtlSeconds: env.SESSION_TTL_SECONDS,
      trustProxy: env.TRUST_PROXY,
      dir: env.CONSOLE_DIR,
    },
  };
}

/** Parses the environment (process.env by default) into a Config, or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  // Empty strings count as unset, as shells and .env files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  if (parsed.data.BAZAAR_MODE === 'production' && !parsed.data.ADMIN_TOKEN) {
    throw new ConfigError('Invalid configuration:\n  ADMIN_TOKEN: required when BAZAAR_MODE=production');
  }
  if (
    parsed.data.KUBERNETES_RUNTIME &&
    !parsed.data.KUBERNETES_KUBECONFIG &&
    !parsed.data.KUBERNETES_SERVICE_HOST
  ) {
    throw new ConfigError(
      'Invalid configuration:\n  KUBERNETES_KUBECONFIG: required with KUBERNETES_RUNTIME=true outside a Kubernetes pod',
    );
  }
  const secretsProblem = secretStoreProblem(parsed.data);
  if (secretsProblem) throw new ConfigError(`Invalid configuration:\n  ${secretsProblem}`);
  return toConfig(parsed.data);
}

/** What the chosen secret store still lacks, or null. */
function secretStoreProblem(env: z.infer<typeof configSchema>): string | null {
  if (env.SECRET_STORE === 'vault') {
    if (!env.VAULT_ADDR) return 'VAULT_ADDR: required when SECRET_STORE=vault';
    if (!env.VAULT_TOKEN) return 'VAULT_TOKEN: required when SECRET_STORE=vault';
  } else if (env.BAZAAR_MODE === 'production' && !env.SECRETS_MASTER_KEY) {
    return 'SECRETS_MASTER_KEY: required when BAZAAR_MODE=production and SECRET_STORE=postgres';
  }
  return null;
}
