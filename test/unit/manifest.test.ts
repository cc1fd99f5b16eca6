import { describe, expect, it } from 'vitest';
import { createListingSchema, manifestSchema } from '../../src/domain/catalog/schemas.js';

const base = {
  version: '1.2.0',
  description: 'Summarises support tickets',
  pricing: { model: 'free' },
  runtime: { kind: 'process', command: ['node', 'main.js'] },
};

function problems(input: unknown): string[] {
  const result = manifestSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('manifest', () => {
  it('accepts a minimal manifest and fills defaults', () => {
    const parsed = manifestSchema.parse(base);
    expect(parsed.pricing.currency).toBe('usd');
    expect(parsed.resources).toEqual({ cpu: '500m', memory: '256Mi', timeoutSeconds: 60 });
    expect(parsed.requiredCredentials).toEqual([]);
  });

  it('takes up to 10 example tasks of 3 to 200 characters each', () => {
    const tasks = Array.from({ length: 10 }, (_, i) => `Refund damaged order number ${i}`);
    expect(manifestSchema.parse({ ...base, exampleTasks: tasks }).exampleTasks).toEqual(tasks);
    expect(manifestSchema.parse(base).exampleTasks).toBeUndefined();
    expect(problems({ ...base, exampleTasks: [...tasks, 'one more task'] })).toEqual([
      'exampleTasks: Too big: expected array to have <=10 items',
    ]);
    expect(problems({ ...base, exampleTasks: ['ok task', ' x '] }).map((p) => p.split(':')[0])).toEqual([
      'exampleTasks.1',
    ]);
    expect(problems({ ...base, exampleTasks: ['x'.repeat(201)] }).map((p) => p.split(':')[0])).toEqual([
      'exampleTasks.0',
    ]);
  });

  it.each([
    [{ model: 'free', pricePerInvocation: 1 }, ['pricing.pricePerInvocation']],
    [{ model: 'usage_based' }, ['pricing.pricePerInvocation']],
    [{ model: 'usage_based', pricePer1kTokens: 0.001 }, []],
    [{ model: 'usage_based', pricePerInvocation: 0.02, monthlyPrice: 5 }, ['pricing.monthlyPrice']],
    [{ model: 'subscription', monthlyPrice: 49 }, []],
    [{ model: 'subscription', monthlyPrice: 0 }, ['pricing.monthlyPrice']],
    [{ model: 'one_time', oneTimePrice: 199 }, []],
    [{ model: 'one_time' }, ['pricing.oneTimePrice']],
    [{ model: 'usage_based', pricePerInvocation: 0.0000001 }, ['pricing.pricePerInvocation']],
    [{ model: 'usage_based', pricePerInvocation: -1 }, ['pricing.pricePerInvocation']],
    [{ model: 'free', currency: 'USD' }, ['pricing.currency']],
    [{ model: 'barter' }, ['pricing.model']],
  ])('pricing %j → problems at %j', (pricing, paths) => {
    expect(problems({ ...base, pricing }).map((p) => p.split(':')[0])).toEqual(paths);
  });

  it.each([
    [{ kind: 'container', image: 'registry.example/agent:latest' }, 'runtime.image'],
    [{ kind: 'remote', endpoint: 'http://publisher.example/run' }, 'runtime.endpoint'],
    [{ kind: 'process', command: [] }, 'runtime.command'],
    [{ kind: 'vm' }, 'runtime.kind'],
  ])('refuses runtime %j at %s', (runtime, path) => {
    expect(problems({ ...base, runtime })[0]).toMatch(new RegExp(`^${path}:`));
  });

  it('accepts a digest-pinned image and an https endpoint', () => {
    expect(
      problems({ ...base, runtime: { kind: 'container', image: `reg.example/a@sha256:${'a'.repeat(64)}` } }),
    ).toEqual([]);
    expect(
      problems({ ...base, runtime: { kind: 'remote', endpoint: 'https://publisher.example/run' } }),
    ).toEqual([]);
  });

  it('refuses bad versions, credential names and duplicates', () => {
    expect(problems({ ...base, version: '1.0' })).toEqual([
      'version: must be a semantic version such as 1.2.0',
    ]);
    expect(problems({ ...base, version: ' 1.0.0' })[0]).toMatch(/^version:/);
    expect(problems({ ...base, requiredCredentials: [{ name: 'API_KEY' }, { name: 'API_KEY' }] })).toEqual([
      'requiredCredentials.1.name: declared twice',
    ]);
    expect(problems({ ...base, requiredCredentials: [{ name: 'api-key' }] })[0]).toMatch(
      /^requiredCredentials.0.name:/,
    );
  });

  it('accepts declared egress as address blocks and ports, and refuses hosts and bad ports', () => {
    const ok = manifestSchema.safeParse({
      ...base,
      network: {
        egress: [
          { cidr: '203.0.113.0/24', ports: [443] },
          { cidr: '2001:db8::/32', ports: [53], protocol: 'UDP' },
        ],
      },
    });
    expect(ok.success && ok.data.network.egress[0]).toEqual({
      cidr: '203.0.113.0/24',
      ports: [443],
      protocol: 'TCP',
    });
    expect(manifestSchema.parse(base).network).toEqual({ egress: [] });
    expect(
      problems({ ...base, network: { egress: [{ cidr: 'api.example.com', ports: [443] }] } }).map(
        (p) => p.split(':')[0],
      ),
    ).toEqual(['network.egress.0.cidr']);
    expect(
      problems({ ...base, network: { egress: [{ cidr: '10.0.0.0/8', ports: [0, 70000] }] } }).map(
        (p) => p.split(':')[0],
      ),
    ).toEqual(['network.egress.0.ports.0', 'network.egress.0.ports.1']);
  });

  it('bounds resources', () => {
    expect(
      problems({ ...base, resources: { cpu: 'lots', memory: '1TB', timeoutSeconds: 0 } }).map(
        (p) => p.split(':')[0],
      ),
    ).toEqual(['resources.cpu', 'resources.memory', 'resources.timeoutSeconds']);
  });
});

describe('listing', () => {
  it('defaults visibility and tags, and refuses bad slugs', () => {
    expect(
      createListingSchema.parse({ slug: 'refund-bot', name: 'Refund bot', category: 'support' }),
    ).toMatchObject({
      visibility: 'public',
      tags: [],
    });
    for (const slug of ['-leading', 'trailing-', 'Upper', 'a', 'has space']) {
      expect(createListingSchema.safeParse({ slug, name: 'x', category: 'support' }).success).toBe(false);
    }
  });
});
