// Names the platform sets itself, and loader or runtime switches no credential may carry.
const reserved = new Set(['PATH', 'HOME', 'TMPDIR', 'LANG', 'PWD', 'NODE_OPTIONS', 'NODE_PATH']);
const namePattern = /^[A-Z][A-Z0-9_]{0,63}$/;

/** Checks the declared credentials' names; throws naming the first bad one. */
export function checkCredentialNames(env: Record<string, string>): void {
  for (const name of Object.keys(env)) {
    if (!namePattern.test(name))
      throw new Error(`credential name ${JSON.stringify(name)} is not UPPER_SNAKE_CASE`);
    if (reserved.has(name) || name.startsWith('LD_')) {
      throw new Error(`credential name ${name} is reserved by the platform`);
    }
  }
}

/**
 * The agent's whole environment: the platform's few variables, the declared credentials, then the
 * gateway's variables (see gatewayEnvironment), which win over a credential of the same name: a
 * tool's real key (e.g. OPENAI_API_KEY) stays with the gateway, the agent gets its run's token.
 */
export function agentEnvironment(
  credentials: Record<string, string>,
  paths: { path: string; home: string; tmp: string },
  gateway: Record<string, string> = {},
): Record<string, string> {
  checkCredentialNames(credentials);
  return {
    PATH: paths.path,
    HOME: paths.home,
    TMPDIR: paths.tmp,
    LANG: 'C.UTF-8',
    ...credentials,
    ...gateway,
  };
}
