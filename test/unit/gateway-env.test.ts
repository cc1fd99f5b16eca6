import { describe, expect, it } from 'vitest';
import { gatewayEnvironment } from '../../src/runtime/gateway-env.js';

describe('gatewayEnvironment', () => {
  it('gives an llm tool the OpenAI variables, pointing at the gateway with the run token', () => {
    const env = gatewayEnvironment('http://127.0.0.1:4000/', {
      token: 'bzt_run',
      tools: [{ name: 'openai', kind: 'llm' }],
    });
    expect(env).toEqual({
      BAZAAR_TOOLS_URL: 'http://127.0.0.1:4000',
      BAZAAR_TOOLS_TOKEN: 'bzt_run',
      OPENAI_BASE_URL: 'http://127.0.0.1:4000/v1',
      OPENAI_API_KEY: 'bzt_run',
    });
  });

  it('gives only the tools variables when no llm tool is granted', () => {
    const env = gatewayEnvironment('https://gw.example', {
      token: 't',
      tools: [{ name: 'crm', kind: 'http' }],
    });
    expect(env).toEqual({ BAZAAR_TOOLS_URL: 'https://gw.example', BAZAAR_TOOLS_TOKEN: 't' });
  });
});
