import type { GatewayGrant } from './runtime-driver.js';

/**
 * The ordinary variables an agent gets to call its tools through the gateway at `baseUrl` (as the
 * agent's runtime reaches it): BAZAAR_TOOLS_URL and BAZAAR_TOOLS_TOKEN always, and, when an `llm`
 * tool is granted, OPENAI_BASE_URL and OPENAI_API_KEY so an unmodified OpenAI SDK works.
 */
export function gatewayEnvironment(baseUrl: string, grant: GatewayGrant): Record<string, string> {
  const root = baseUrl.replace(/\/+$/, '');
  const env: Record<string, string> = { BAZAAR_TOOLS_URL: root, BAZAAR_TOOLS_TOKEN: grant.token };
  if (grant.tools.some((tool) => tool.kind === 'llm')) {
    env.OPENAI_BASE_URL = `${root}/v1`;
    env.OPENAI_API_KEY = grant.token;
  }
  return env;
}
