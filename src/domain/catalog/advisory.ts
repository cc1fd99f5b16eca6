// Upgrade advisories: what moving an installation from one version of a listing to another changes
// for the consumer, each change with a one-line summary, and one risk level with its reasons. Pure:
// two manifests in, one advisory out.
import semver from 'semver';
import { z } from 'zod';
import { widenedEgress, type EgressRule } from './egress-coverage.js';
import { diffInputSchemas } from './input-schema-diff.js';
import type { Manifest } from './schemas.js';

/** How risky an upgrade is for an installed consumer. */
export const riskSchema = z.enum(['low', 'medium', 'high']);
/** One risk level. */
export type Risk = z.infer<typeof riskSchema>;

/** The kinds of change an advisory reports. */
export const advisoryChangeKindSchema = z.enum([
  'semver',
  'pricing',
  'credential_added',
  'credential_removed',
  'tool_added',
  'tool_removed',
  'egress_widened',
  'egress_narrowed',
  'resources',
  'runtime_kind',
  'input_schema',
]);

/** One change between two versions, with what it means for the consumer. */
export const advisoryChangeSchema = z.object({
  kind: advisoryChangeKindSchema,
  summary: z.string(),
  breaking: z.boolean(),
  risk: riskSchema,
});
/** One change of an advisory. */
export type AdvisoryChange = z.infer<typeof advisoryChangeSchema>;

/** How the version number moves: semver's step, or a move to an older version. */
export const semverChangeSchema = z.enum([
  'major',
  'premajor',
  'minor',
  'preminor',
  'patch',
  'prepatch',
  'prerelease',
  'release',
  'none',
  'downgrade',
]);

/** What moving from one version to another changes, and how risky it is. */
export const advisorySchema = z.object({
  from: z.string(),
  to: z.string(),
  semverChange: semverChangeSchema,
  risk: riskSchema,
  reasons: z.array(z.string()),
  changes: z.array(advisoryChangeSchema),
});
/** An upgrade advisory. */
export type Advisory = z.infer<typeof advisorySchema>;

/** A price rise above this percentage makes an upgrade high risk. */
const HIGH_PRICE_RISE_PERCENT = 50;

const rank: Record<Risk, number> = { low: 0, medium: 1, high: 2 };

type Manifestish = Pick<
  Manifest,
  'version' | 'pricing' | 'requiredCredentials' | 'requiredTools' | 'inputSchema' | 'runtime' | 'resources'
> & { network?: { egress: EgressRule[] } };

// Manifests stored before a field existed (or written straight to the database) may lack it: read
// each missing field as the manifest schema's default.
function withDefaults(manifest: Manifestish): Manifestish {
  const partial = manifest as Partial<Manifestish>;
  return {
    ...manifest,
    pricing: { model: 'free', ...partial.pricing, currency: partial.pricing?.currency ?? 'usd' },
    requiredCredentials: partial.requiredCredentials ?? [],
    requiredTools: partial.requiredTools ?? [],
    inputSchema: partial.inputSchema ?? {},
    runtime: partial.runtime ?? { kind: 'process', command: ['main'] },
    resources: { cpu: '500m', memory: '256Mi', timeoutSeconds: 60, ...partial.resources },
    network: { egress: partial.network?.egress ?? [] },
  };
}

/** The advisory for moving an installation from the `from` manifest's version to the `to` one. */
export function computeAdvisory(fromManifest: Manifestish, toManifest: Manifestish): Advisory {
  const from = withDefaults(fromManifest);
  const to = withDefaults(toManifest);
  const semverChange = semverStep(from.version, to.version);
  const changes: AdvisoryChange[] = [
    ...semverChanges(from.version, to.version, semverChange),
    ...pricingChanges(from.pricing, to.pricing),
    ...credentialChanges(from, to),
    ...toolChanges(from, to),
    ...egressChanges(from.network?.egress ?? [], to.network?.egress ?? []),
    ...resourceChanges(from.resources, to.resources),
    ...runtimeChanges(from.runtime.kind, to.runtime.kind),
    ...diffInputSchemas(from.inputSchema, to.inputSchema).map((change): AdvisoryChange => ({
      kind: 'input_schema',
      summary: `input schema: ${change.summary}`,
      breaking: change.breaking,
      risk: change.breaking ? 'high' : 'low',
    })),
  ];
  const risk = changes.reduce<Risk>(
    (max, change) => (rank[change.risk] > rank[max] ? change.risk : max),
    'low',
  );
  const reasons =
    risk === 'low'
      ? [
          `${semverChange === 'none' ? 'same version' : `${semverChange} step`}: nothing a consumer depends on changes`,
        ]
      : changes
          .filter((change) => change.risk !== 'low')
          .sort((a, b) => rank[b.risk] - rank[a.risk])
          .map((change) => change.summary);
  return { from: from.version, to: to.version, semverChange, risk, reasons, changes };
}

function semverStep(from: string, to: string): z.infer<typeof semverChangeSchema> {
  if (semver.lt(to, from)) return 'downgrade';
  return semver.diff(from, to) ?? 'none';
}

function semverChanges(from: string, to: string, step: z.infer<typeof semverChangeSchema>): AdvisoryChange[] {
  if (step === 'major' || step === 'premajor') {
    return [
      {
        kind: 'semver',
        summary: `${from} → ${to}: a major version, which by semver may break callers`,
        breaking: false,
        risk: 'medium',
      },
    ];
  }
  if (step === 'downgrade') {
    return [
      { kind: 'semver', summary: `${from} → ${to}: an older version`, breaking: false, risk: 'medium' },
    ];
  }
  return [];
}

const priceFields = ['pricePerInvocation', 'pricePer1kTokens', 'monthlyPrice', 'oneTimePrice'] as const;

/** The percentage change from one amount to another, one decimal; null from zero. */
function percentChange(from: number, to: number): number | null {
  if (from === 0) return null;
  return Math.round(((to - from) / from) * 1000) / 10;
}

const signed = (percent: number) => `${percent > 0 ? '+' : ''}${percent}%`;

function pricingChanges(from: Manifest['pricing'], to: Manifest['pricing']): AdvisoryChange[] {
  const changes: AdvisoryChange[] = [];
  const pricing = (summary: string, risk: Risk): AdvisoryChange => ({
    kind: 'pricing',
    summary,
    breaking: false,
    risk,
  });
  if (from.model !== to.model) {
    changes.push(
      pricing(`pricing model ${from.model} → ${to.model}`, from.model === 'free' ? 'high' : 'medium'),
    );
  }
  if (from.currency !== to.currency) {
    changes.push(pricing(`currency ${from.currency} → ${to.currency}: amounts cannot be compared`, 'medium'));
  }
  for (const field of priceFields) {
    const before = from[field] ?? 0;
    const after = to[field] ?? 0;
    if (before === after) continue;
    const percent = percentChange(before, after);
    const rise = after > before;
    const risk: Risk = !rise
      ? 'low'
      : percent === null || percent > HIGH_PRICE_RISE_PERCENT
        ? 'high'
        : 'medium';
    const change = percent === null ? 'new charge' : signed(percent);
    changes.push(pricing(`${field} ${before} → ${after} ${to.currency} (${change})`, risk));
  }
  const freeBefore = from.freeInvocations ?? 0;
  const freeAfter = to.freeInvocations ?? 0;
  if (freeBefore !== freeAfter) {
    const percent = percentChange(freeBefore, freeAfter);
    changes.push(
      pricing(
        `freeInvocations ${freeBefore} → ${freeAfter}${percent === null ? '' : ` (${signed(percent)})`}`,
        freeAfter < freeBefore ? 'medium' : 'low',
      ),
    );
  }
  return changes;
}

function credentialChanges(from: Manifestish, to: Manifestish): AdvisoryChange[] {
  const before = new Set(from.requiredCredentials.map((credential) => credential.name));
  const after = new Set(to.requiredCredentials.map((credential) => credential.name));
  return [
    ...[...after]
      .filter((name) => !before.has(name))
      .map((name): AdvisoryChange => ({
        kind: 'credential_added',
        summary: `needs a new credential: ${name}`,
        breaking: true,
        risk: 'high',
      })),
    ...[...before]
      .filter((name) => !after.has(name))
      .map((name): AdvisoryChange => ({
        kind: 'credential_removed',
        summary: `no longer uses the credential ${name}`,
        breaking: false,
        risk: 'low',
      })),
  ];
}

function toolChanges(from: Manifestish, to: Manifestish): AdvisoryChange[] {
  const before = new Set(from.requiredTools);
  const after = new Set(to.requiredTools);
  return [
    ...[...after]
      .filter((tool) => !before.has(tool))
      .map((tool): AdvisoryChange => ({
        kind: 'tool_added',
        summary: `uses a new tool: ${tool}`,
        breaking: false,
        risk: 'medium',
      })),
    ...[...before]
      .filter((tool) => !after.has(tool))
      .map((tool): AdvisoryChange => ({
        kind: 'tool_removed',
        summary: `no longer uses the tool ${tool}`,
        breaking: false,
        risk: 'low',
      })),
  ];
}

const describeRule = (rule: EgressRule) => `${rule.cidr} ${rule.protocol ?? 'TCP'}/${rule.ports.join(',')}`;

function egressChanges(from: EgressRule[], to: EgressRule[]): AdvisoryChange[] {
  const widened = widenedEgress(from, to);
  const narrowed = widenedEgress(to, from);
  return [
    ...(widened.length > 0
      ? [
          {
            kind: 'egress_widened' as const,
            summary: `may reach new network destinations: ${widened.map(describeRule).join('; ')}`,
            breaking: false,
            risk: 'high' as const,
          },
        ]
      : []),
    ...(narrowed.length > 0
      ? [
          {
            kind: 'egress_narrowed' as const,
            summary: `no longer reaches: ${narrowed.map(describeRule).join('; ')}`,
            breaking: false,
            risk: 'low' as const,
          },
        ]
      : []),
  ];
}

/** A CPU quantity in millicores. */
const millicores = (cpu: string) => (cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000);
/** A memory quantity in bytes. */
const bytes = (memory: string) => {
  const units: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  return Number(memory.slice(0, -2)) * (units[memory.slice(-2)] ?? 1);
};

function resourceChanges(from: Manifest['resources'], to: Manifest['resources']): AdvisoryChange[] {
  const changes: AdvisoryChange[] = [];
  const compare = (name: string, before: string | number, after: string | number, b: number, a: number) => {
    if (b === a) return;
    // Less time or memory may make runs that succeeded fail; less CPU only slows them.
    const risky = a < b && name !== 'cpu';
    changes.push({
      kind: 'resources',
      summary: `${name} ${before} → ${after}${a < b ? ' (reduced)' : ' (increased)'}`,
      breaking: false,
      risk: risky ? 'medium' : 'low',
    });
  };
  compare('cpu', from.cpu, to.cpu, millicores(from.cpu), millicores(to.cpu));
  compare('memory', from.memory, to.memory, bytes(from.memory), bytes(to.memory));
  compare('timeoutSeconds', from.timeoutSeconds, to.timeoutSeconds, from.timeoutSeconds, to.timeoutSeconds);
  return changes;
}

function runtimeChanges(from: string, to: string): AdvisoryChange[] {
  if (from === to) return [];
  // A remote agent runs on the publisher's own servers: the input leaves Bazaar.
  const leaves = to === 'remote';
  return [
    {
      kind: 'runtime_kind',
      summary: `runs as ${to} instead of ${from}${leaves ? ': inputs are sent to the publisher’s server' : ''}`,
      breaking: false,
      risk: leaves ? 'high' : 'medium',
    },
  ];
}
