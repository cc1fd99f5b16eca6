import { z } from 'zod';
import type { SecretStore } from '../../adapters/secrets/secret-store.js';
import type { Queryable } from '../../db/pool.js';
import { findListing, findVersionById } from '../../domain/catalog/repository.js';
import { readSecretAudited } from '../../domain/credentials/read-secret-audited.js';
import type {
  Invocation,
  InvocationResult,
  RuntimeDriver,
  RuntimeRef,
  RuntimeSlot,
  RuntimeSpec,
} from '../runtime-driver.js';
import { callEndpoint } from './call-endpoint.js';
import { signatureHeaders } from '../../domain/signing/standard-webhooks.js';
import {
  RemoteEndpointRefusedError,
  RemoteEndpointUnresolvedError,
  resolveEndpoint,
  type AddressPolicy,
  type HostLookup,
  type ResolvedEndpoint,
} from './resolve-endpoint.js';
import { activeSigningSecrets } from './signing-secrets.js';

/** The request headers of the remote contract (README, "Publisher-hosted agents"). */
export const remoteHeaders = {
  installationId: 'x-bazaar-installation-id',
  credentials: 'x-bazaar-credentials',
  usage: 'x-bazaar-usage',
} as const;

/** What the remote driver needs: the database and secret store, and the limits configuration sets. */
export interface RemoteRuntimeDriverOptions {
  db: Queryable;
  secrets: SecretStore;
  policy: AddressPolicy;
  maxResponseBytes: number;
  /** Certificate authorities to trust instead of Node's defaults (the defaults plus a private CA). */
  ca?: string[];
  /** Resolves endpoint hosts; the system resolver unless a test supplies one. */
  lookup?: HostLookup;
  /** The tool gateway as publishers' servers reach it (config.gateway.publicUrl), sent to runs granted tools. */
  gatewayUrl?: string;
}

const idPattern = /^[A-Za-z0-9-]{1,64}$/;

const usageSchema = z.object({
  tokensIn: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  tokensOut: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

function preview(text: string, max = 200): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/**
 * Publisher-hosted agents (`runtime.kind: "remote"`): each invocation is an HTTPS POST of the input
 * to the publisher's endpoint, signed with the listing's signing secret (Standard Webhooks), under
 * the version's deadline and a response size cap, only to public addresses (unless configuration
 * allows private ones). The driver keeps no state: a runtime is just its reference, and the
 * credentials the version declares are read from the tenant's secret store at each invocation (each
 * read audited against the execution), sent with that one request, and never stored or copied.
 */
export class RemoteRuntimeDriver implements RuntimeDriver {
  readonly kind = 'remote';

  constructor(private readonly options: RemoteRuntimeDriverOptions) {}

  refFor(slot: RuntimeSlot): RuntimeRef {
    if (![slot.orgId, slot.installationId, slot.versionId].every((id) => idPattern.test(id))) {
      throw new Error('tenant, installation and version ids must be plain identifiers');
    }
    return { driver: this.kind, location: `${slot.orgId}/${slot.installationId}/${slot.versionId}` };
  }

  /** Checks the endpoint (an https URL whose every address the policy allows); nothing is created. */
  async createRuntime(spec: RuntimeSpec): Promise<RuntimeRef> {
    const { runtime } = spec.manifest;
    if (runtime.kind !== 'remote')
      throw new RemoteEndpointRefusedError(
        `the remote runtime runs remote agents; this version is ${runtime.kind}`,
      );
    await resolveEndpoint(runtime.endpoint, this.options.policy, this.options.lookup);
    return this.refFor(spec);
  }

  async destroyRuntime(ref: RuntimeRef): Promise<void> {
    this.parse(ref);
  }

  /** Keeps nothing: the values are read again, audited, at each invocation. */
  async injectSecrets(ref: RuntimeRef, _secrets: Record<string, string>): Promise<void> {
    this.parse(ref);
  }

  async revokeSecrets(ref: RuntimeRef): Promise<void> {
    this.parse(ref);
  }

  /** The credentials each invocation forwards: exactly those the version declares. */
  async secretNames(ref: RuntimeRef): Promise<string[]> {
    const version = await findVersionById(this.options.db, this.parse(ref).versionId);
    return (version?.manifest.requiredCredentials ?? []).map((credential) => credential.name).sort();
  }

  /**
   * POSTs the input to the publisher's endpoint and returns its JSON answer. Every problem with the
   * endpoint (refused address, no signing secret, unreachable, timeout, non-2xx, redirect, oversize
   * or non-JSON answer) is a failed result with a reason; only the platform's own failures (database,
   * secret store) throw, so the activity retries them.
   */
  async invoke(ref: RuntimeRef, invocation: Invocation): Promise<InvocationResult> {
    const slot = this.parse(ref);
    // What the endpoint was sent, for the caller to redact from whatever it answers.
    const secretsGiven: Record<string, string> = {};
    const failed = (reason: string, logTail = '', durationMs = 0): InvocationResult => ({
      status: 'failed',
      reason,
      durationMs,
      logTail,
      secretsGiven,
    });
    const { runtime, requiredCredentials, resources } = invocation.manifest;
    if (runtime.kind !== 'remote')
      return failed(`the remote runtime runs remote agents; this version is ${runtime.kind}`);

    const version = await findVersionById(this.options.db, slot.versionId);
    const listing = version && (await findListing(this.options.db, version.listingId));
    if (!listing) return failed('the version this runtime was made for no longer exists');
    const signingSecrets = await activeSigningSecrets(this.options.secrets, {
      publisherOrgId: listing.orgId,
      listingId: listing.id,
    });
    if (signingSecrets.length === 0)
      return failed(
        'the publisher has not created a signing secret for this listing yet ' +
          '(POST /v1/listings/{id}/signing-secret), so its endpoint is not called',
      );

    // Checked before any credential is read: a refused endpoint never gets near one.
    let endpoint: ResolvedEndpoint;
    try {
      endpoint = await resolveEndpoint(runtime.endpoint, this.options.policy, this.options.lookup);
    } catch (error) {
      if (error instanceof RemoteEndpointRefusedError || error instanceof RemoteEndpointUnresolvedError)
        return failed(error.message);
      throw error;
    }

    const credentials: Record<string, string> = {};
    for (const { name } of requiredCredentials) {
      const value = await readSecretAudited(this.options, {
        orgId: slot.orgId,
        name,
        purpose: { executionId: invocation.executionId },
        actor: null,
      });
      if (value === null)
        return failed(`missing credential ${name}; store it with PUT /v1/credentials/${name} and try again`);
      credentials[name] = value;
    }

    // A version that declares tools gets its input wrapped, beside the gateway's address and the
    // execution's token: inside the signed body, so nobody on the way can swap the gateway it calls.
    let payload: unknown = invocation.input ?? null;
    if (invocation.gateway) {
      if (!this.options.gatewayUrl)
        throw new Error(
          'this worker was started without a tool gateway for remote agents; the run needs one',
        );
      payload = {
        input: payload,
        gateway: { url: this.options.gatewayUrl, token: invocation.gateway.token },
      };
      secretsGiven.BAZAAR_TOOLS_TOKEN = invocation.gateway.token;
    }
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'Bazaar-Remote-Runtime/1',
      ...signatureHeaders({
        secrets: signingSecrets,
        id: invocation.executionId,
        timestamp: Math.floor(Date.now() / 1000),
        body,
      }),
      [remoteHeaders.installationId]: slot.installationId,
    };
    if (requiredCredentials.length > 0) {
      const header = Buffer.from(JSON.stringify(credentials)).toString('base64url');
      headers[remoteHeaders.credentials] = header;
      // An endpoint that echoes its request headers would otherwise return every value at once.
      Object.assign(secretsGiven, credentials, { [remoteHeaders.credentials]: header });
    }

    const started = performance.now();
    const outcome = await callEndpoint({
      endpoint,
      headers,
      body,
      timeoutMs: resources.timeoutSeconds * 1000,
      maxResponseBytes: this.options.maxResponseBytes,
      ca: this.options.ca,
      signal: invocation.signal,
    });
    const durationMs = performance.now() - started;

    if (outcome.kind !== 'response') {
      if (outcome.kind === 'timed_out')
        return { ...failed(outcome.reason, '', durationMs), status: 'timed_out' };
      const excerpt = outcome.body?.toString('utf8').trim() ?? '';
      return failed(excerpt ? `${outcome.reason}: ${preview(excerpt)}` : outcome.reason, excerpt, durationMs);
    }
    const text = outcome.body.toString('utf8').trim();
    if (text === '')
      return failed(
        "the publisher's endpoint answered with an empty body (expected one JSON document)",
        '',
        durationMs,
      );
    let output: unknown;
    try {
      output = JSON.parse(text);
    } catch {
      // Not JSON.parse's message: it quotes the middle of the text, where an echoed credential could hide.
      return failed(
        `the publisher's endpoint did not answer one JSON document: ${preview(text, 80)}`,
        '',
        durationMs,
      );
    }
    const usage = this.readUsage(outcome.headers[remoteHeaders.usage]);
    return {
      status: 'succeeded',
      output,
      usage: usage.value,
      durationMs,
      logTail: usage.problem ?? '',
      secretsGiven,
    };
  }

  /** The usage the endpoint reported in its X-Bazaar-Usage header, or why it was ignored. */
  private readUsage(header: string | string[] | undefined): {
    value?: { tokensIn: number; tokensOut: number };
    problem?: string;
  } {
    if (header === undefined) return {};
    try {
      const parsed = usageSchema.safeParse(JSON.parse(Array.isArray(header) ? header[0]! : header));
      if (parsed.success) return { value: parsed.data };
    } catch {
      // Reported below like any other malformed value.
    }
    return { problem: `ignored ${remoteHeaders.usage}: expected {"tokensIn": n, "tokensOut": n}` };
  }

  /** The slot a reference names, refusing references that are not this driver's. */
  private parse(ref: RuntimeRef): { orgId: string; installationId: string; versionId: string } {
    const [orgId, installationId, versionId, ...rest] = ref.location.split('/');
    if (
      ref.driver !== this.kind ||
      rest.length > 0 ||
      ![orgId, installationId, versionId].every((id) => id !== undefined && idPattern.test(id))
    )
      throw new Error('runtime reference is not a remote runtime');
    return { orgId: orgId!, installationId: installationId!, versionId: versionId! };
  }
}
