import { describe, expect, it } from 'vitest';
import { computeAdvisory } from '../../src/domain/catalog/advisory.js';
import { widenedEgress } from '../../src/domain/catalog/egress-coverage.js';
import { diffInputSchemas } from '../../src/domain/catalog/input-schema-diff.js';
import { manifestSchema, type Manifest } from '../../src/domain/catalog/schemas.js';

const base = (overrides: Record<string, unknown> = {}): Manifest =>
  manifestSchema.parse({
    version: '1.0.0',
    description: 'Decides refunds',
    pricing: { model: 'usage_based', pricePerInvocation: 0.02, freeInvocations: 100 },
    requiredCredentials: [{ name: 'SHOP_API_KEY' }],
    requiredTools: ['web-search'],
    inputSchema: {
      type: 'object',
      required: ['order'],
      properties: { order: { type: 'string' }, note: { type: 'string' }, mode: { enum: ['fast', 'slow'] } },
    },
    runtime: { kind: 'process', command: ['node', 'main.js'] },
    resources: { cpu: '500m', memory: '256Mi', timeoutSeconds: 60 },
    network: { egress: [{ cidr: '203.0.113.0/24', ports: [443] }] },
    ...overrides,
  });

const advise = (overrides: Record<string, unknown>, fromOverrides: Record<string, unknown> = {}) =>
  computeAdvisory(base(fromOverrides), base({ version: '1.0.1', ...overrides }));

describe('input schema changes', () => {
  const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'object',
    properties,
    ...extra,
  });
  // [what, old schema, new schema, expected breaking flags (one per change), summary fragment]
  const table: Array<[string, unknown, unknown, boolean[], string]> = [
    ['identical', object({ a: { type: 'string' } }), object({ a: { type: 'string' } }), [], ''],
    [
      'required property added',
      object({ a: { type: 'string' } }),
      object({ a: { type: 'string' }, b: { type: 'string' } }, { required: ['b'] }),
      [true],
      '`b` is now required',
    ],
    [
      'existing property becomes required',
      object({ a: { type: 'string' } }),
      object({ a: { type: 'string' } }, { required: ['a'] }),
      [true],
      '`a` is now required',
    ],
    ['optional property added', object({}), object({ b: { type: 'string' } }), [false], 'optional `b` added'],
    ['property removed', object({ a: { type: 'string' } }), object({}), [true], '`a` removed'],
    [
      'type narrowed (number → integer)',
      object({ n: { type: 'number' } }),
      object({ n: { type: 'integer' } }),
      [true],
      'type number → integer (narrowed)',
    ],
    [
      'type narrowed (union → one)',
      object({ n: { type: ['string', 'null'] } }),
      object({ n: { type: 'string' } }),
      [true],
      '(narrowed)',
    ],
    ['type from any to string', object({ n: {} }), object({ n: { type: 'string' } }), [true], 'any → string'],
    [
      'type widened (integer → number)',
      object({ n: { type: 'integer' } }),
      object({ n: { type: 'number' } }),
      [false],
      '(widened)',
    ],
    [
      'enum value removed',
      object({ m: { enum: ['a', 'b'] } }),
      object({ m: { enum: ['a'] } }),
      [true],
      'enum value(s) removed: "b"',
    ],
    [
      'enum value added',
      object({ m: { enum: ['a'] } }),
      object({ m: { enum: ['a', 'b'] } }),
      [false],
      'enum value(s) added: "b"',
    ],
    [
      'required dropped',
      object({ a: { type: 'string' } }, { required: ['a'] }),
      object({ a: { type: 'string' } }),
      [false],
      'no longer required',
    ],
    [
      'nested property removed, with its path',
      object({ order: object({ id: { type: 'string' }, sku: { type: 'string' } }) }),
      object({ order: object({ id: { type: 'string' } }) }),
      [true],
      '`order.sku` removed',
    ],
    [
      'array item type narrowed',
      object({ xs: { type: 'array', items: { type: 'number' } } }),
      object({ xs: { type: 'array', items: { type: 'integer' } } }),
      [true],
      '`xs[]`',
    ],
    [
      'maxLength tightened',
      object({ s: { type: 'string', maxLength: 100 } }),
      object({ s: { type: 'string', maxLength: 10 } }),
      [true],
      'maxLength 100 → 10 (tightened)',
    ],
    [
      'minimum relaxed',
      object({ s: { type: 'number', minimum: 5 } }),
      object({ s: { type: 'number', minimum: 0 } }),
      [false],
      '(relaxed)',
    ],
    [
      'closed to extra properties',
      object({}),
      object({}, { additionalProperties: false }),
      [true],
      'now refused',
    ],
    [
      'an unclassified keyword changed',
      object({ s: { type: 'string', pattern: '^a' } }),
      object({ s: { type: 'string', pattern: '^b' } }),
      [true],
      '`pattern` changed',
    ],
  ];

  it.each(table)('%s', (_what, from, to, breaking, fragment) => {
    const changes = diffInputSchemas(from, to);
    expect(changes.map((change) => change.breaking)).toEqual(breaking);
    if (fragment) expect(changes.map((change) => change.summary).join('\n')).toContain(fragment);
  });
});

describe('upgrade advisory', () => {
  it('rates a patch that changes nothing a consumer depends on low, with no changes', () => {
    const advisory = advise({ description: 'Decides refunds, better', changelog: 'typo fixes' });
    expect(advisory).toMatchObject({
      from: '1.0.0',
      to: '1.0.1',
      semverChange: 'patch',
      risk: 'low',
      changes: [],
    });
    expect(advisory.reasons).toEqual(['patch step: nothing a consumer depends on changes']);
  });

  it('names the semver step, and calls a bare major step medium', () => {
    expect(computeAdvisory(base(), base({ version: '1.1.0' }))).toMatchObject({
      semverChange: 'minor',
      risk: 'low',
    });
    const major = computeAdvisory(base(), base({ version: '2.0.0' }));
    expect(major).toMatchObject({ semverChange: 'major', risk: 'medium' });
    expect(major.changes).toEqual([expect.objectContaining({ kind: 'semver', risk: 'medium' })]);
    expect(computeAdvisory(base({ version: '2.0.0' }), base())).toMatchObject({ semverChange: 'downgrade' });
  });

  // [what, manifest overrides of the new version, expected risk, kind, summary fragment]
  const kinds: Array<[string, Record<string, unknown>, string, string, string]> = [
    [
      'price rise over 50 %',
      { pricing: { model: 'usage_based', pricePerInvocation: 0.04, freeInvocations: 100 } },
      'high',
      'pricing',
      'pricePerInvocation 0.02 → 0.04 usd (+100%)',
    ],
    [
      'price rise of 25 %',
      { pricing: { model: 'usage_based', pricePerInvocation: 0.025, freeInvocations: 100 } },
      'medium',
      'pricing',
      '(+25%)',
    ],
    [
      'price cut',
      { pricing: { model: 'usage_based', pricePerInvocation: 0.01, freeInvocations: 100 } },
      'low',
      'pricing',
      '(-50%)',
    ],
    [
      'a new kind of charge',
      {
        pricing: {
          model: 'usage_based',
          pricePerInvocation: 0.02,
          pricePer1kTokens: 0.001,
          freeInvocations: 100,
        },
      },
      'high',
      'pricing',
      'pricePer1kTokens 0 → 0.001 usd (new charge)',
    ],
    [
      'pricing model changed',
      { pricing: { model: 'subscription', monthlyPrice: 10 } },
      'high',
      'pricing',
      'pricing model usage_based → subscription',
    ],
    [
      'currency changed',
      { pricing: { model: 'usage_based', pricePerInvocation: 0.02, currency: 'eur', freeInvocations: 100 } },
      'medium',
      'pricing',
      'currency usd → eur',
    ],
    [
      'free allowance cut',
      { pricing: { model: 'usage_based', pricePerInvocation: 0.02, freeInvocations: 50 } },
      'medium',
      'pricing',
      'freeInvocations 100 → 50 (-50%)',
    ],
    [
      'credential added',
      { requiredCredentials: [{ name: 'SHOP_API_KEY' }, { name: 'CRM_TOKEN' }] },
      'high',
      'credential_added',
      'needs a new credential: CRM_TOKEN',
    ],
    ['credential removed', { requiredCredentials: [] }, 'low', 'credential_removed', 'SHOP_API_KEY'],
    ['tool added', { requiredTools: ['web-search', 'openai'] }, 'medium', 'tool_added', 'openai'],
    [
      'egress widened to a new block',
      {
        network: {
          egress: [
            { cidr: '203.0.113.0/24', ports: [443] },
            { cidr: '198.51.100.7/32', ports: [443] },
          ],
        },
      },
      'high',
      'egress_widened',
      '198.51.100.7/32 TCP/443',
    ],
    [
      'egress widened to a new port',
      { network: { egress: [{ cidr: '203.0.113.0/24', ports: [443, 80] }] } },
      'high',
      'egress_widened',
      'TCP/80',
    ],
    [
      'egress narrowed to a smaller block',
      { network: { egress: [{ cidr: '203.0.113.128/25', ports: [443] }] } },
      'low',
      'egress_narrowed',
      '203.0.113.0/24',
    ],
    [
      'timeout reduced',
      { resources: { cpu: '500m', memory: '256Mi', timeoutSeconds: 30 } },
      'medium',
      'resources',
      'timeoutSeconds 60 → 30 (reduced)',
    ],
    [
      'memory increased',
      { resources: { cpu: '500m', memory: '1Gi', timeoutSeconds: 60 } },
      'low',
      'resources',
      'memory 256Mi → 1Gi (increased)',
    ],
    [
      'runtime to container',
      { runtime: { kind: 'container', image: `r/a@sha256:${'a'.repeat(64)}` } },
      'medium',
      'runtime_kind',
      'runs as container instead of process',
    ],
    [
      'runtime to remote',
      { runtime: { kind: 'remote', endpoint: 'https://agent.example/run' } },
      'high',
      'runtime_kind',
      'publisher’s server',
    ],
    [
      'breaking input schema',
      {
        inputSchema: {
          type: 'object',
          required: ['order'],
          properties: { order: { type: 'string' }, mode: { enum: ['fast', 'slow'] } },
        },
      },
      'high',
      'input_schema',
      '`note` removed',
    ],
    [
      'compatible input schema',
      {
        inputSchema: {
          type: 'object',
          required: ['order'],
          properties: {
            order: { type: 'string' },
            note: { type: 'string' },
            mode: { enum: ['fast', 'slow', 'auto'] },
          },
        },
      },
      'low',
      'input_schema',
      'enum value(s) added: "auto"',
    ],
  ];

  it.each(kinds)('%s', (_what, overrides, risk, kind, fragment) => {
    const advisory = advise(overrides);
    expect(advisory.risk).toBe(risk);
    const change = advisory.changes.find((candidate) => candidate.kind === kind);
    expect(change, JSON.stringify(advisory.changes)).toBeDefined();
    expect(change!.summary).toContain(fragment);
    if (risk !== 'low') expect(advisory.reasons).toContain(change!.summary);
  });

  it('lists every reason above low, high ones first', () => {
    const advisory = advise({
      requiredTools: ['web-search', 'openai'],
      requiredCredentials: [{ name: 'SHOP_API_KEY' }, { name: 'CRM_TOKEN' }],
    });
    expect(advisory.risk).toBe('high');
    expect(advisory.reasons).toEqual(['needs a new credential: CRM_TOKEN', 'uses a new tool: openai']);
  });
});

describe('egress coverage', () => {
  it('treats a rule inside an old block and port as covered, IPv6 too', () => {
    expect(
      widenedEgress([{ cidr: '10.0.0.0/8', ports: [443] }], [{ cidr: '10.1.2.0/24', ports: [443] }]),
    ).toEqual([]);
    expect(
      widenedEgress([{ cidr: '2001:db8::/32', ports: [443] }], [{ cidr: '2001:db8:1::/48', ports: [443] }]),
    ).toEqual([]);
    expect(
      widenedEgress([{ cidr: '2001:db8::/32', ports: [443] }], [{ cidr: '2001:db9::/32', ports: [443] }]),
    ).toHaveLength(1);
    expect(
      widenedEgress(
        [{ cidr: '10.0.0.0/8', ports: [53] }],
        [{ cidr: '10.0.0.1/32', ports: [53], protocol: 'UDP' }],
      ),
    ).toEqual([{ cidr: '10.0.0.1/32', ports: [53], protocol: 'UDP' }]);
  });
});
