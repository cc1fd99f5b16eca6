import { z } from 'zod';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const configSchema = z.object({
  BAZAAR_MODE: z.enum(['local', 'production']).default('local'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/bazaar'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('bazaar'),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  /** Start a Temporal dev server as a child process (local mode default). */
  TEMPORAL_DEV_SERVER: booleanFromEnv.optional(),
  /** Path of the `temporal` CLI; set by scripts/setup.sh. */
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  REVIEW_TIMEOUT_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(7 * 24 * 3600),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OPENAI_API_KEY: z.string().min(1).optional(),
  QDRANT_URL: z.url().optional(),
  QDRANT_API_KEY: z.string().min(1).optional(),
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
    port: env.PORT,
    databaseUrl: env.DATABASE_URL,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      uiPort: env.TEMPORAL_UI_PORT,
      startDevServer: env.TEMPORAL_DEV_SERVER ?? local,
      cliPath: env.TEMPORAL_CLI_PATH,
    },
    adminToken: env.ADMIN_TOKEN,
    dataDir: env.DATA_DIR,
    reviewTimeoutSeconds: env.REVIEW_TIMEOUT_SECONDS,
    logLevel: env.LOG_LEVEL,
    openaiApiKey: env.OPENAI_API_KEY,
    qdrantUrl: env.QDRANT_URL,
    qdrantApiKey: env.QDRANT_API_KEY,
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
  return toConfig(parsed.data);
}
