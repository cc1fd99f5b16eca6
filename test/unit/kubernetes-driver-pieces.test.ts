import { ApiException, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { manifestSchema } from '../../src/domain/catalog/schemas.js';
import { secretForms } from '../../src/domain/credentials/redact-secrets.js';
import { describeFailure } from '../../src/runtime/kubernetes/api-errors.js';
import { invocationResult, jobFinish, parseResult } from '../../src/runtime/kubernetes/job-outcome.js';
import {
  formatLocation,
  jobName,
  parseLocation,
  runtimeAddress,
  runtimeName,
  tenantNamespace,
} from '../../src/runtime/kubernetes/names.js';
import { gatewayEgressPolicy, jobObject } from '../../src/runtime/kubernetes/objects.js';
import { redactInvocationResult } from '../../src/runtime/redact-invocation-result.js';
import { secretLeaks } from '../support/secret-leaks.js';

const orgId = '3f2a0c1e-8d4b-4c4e-9a1f-0b6d2e7c5a90';
const installationId = '7b1e2d3c-4a5f-4e6d-8c7b-9a0f1e2d3c4b';
const versionId = 'c0ffee00-1234-4abc-8def-0123456789ab';
const executionId = '0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b';

const manifest = (runtime: unknown) =>
  manifestSchema.parse({
    version: '1.0.0',
    description: 'test',
    pricing: { model: 'free' },
    runtime,
    resources: { cpu: '1', memory: '512Mi', timeoutSeconds: 90 },
  });
const container = manifest({ kind: 'container', image: `r.example/a@sha256:${'a'.repeat(64)}` });

const finishedPod = (terminated: Record<string, unknown>): V1Pod => ({
  status: {
    containerStatuses: [
      {
        name: 'agent',
        image: '',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 0, ...terminated } },
      },
    ],
  },
});

describe('Kubernetes names', () => {
  it('round-trips a runtime location and refuses one outside the prefix', () => {
    const address = runtimeAddress('bazaar-t-', {
      orgId: orgId.toUpperCase(),
      installationId,
      versionId,
    });
    expect(address.namespace).toBe(`bazaar-t-${orgId}`);
    expect(parseLocation(formatLocation(address), 'bazaar-t-')).toEqual(address);
    expect(() => parseLocation(`kube-system/${installationId}/${versionId}`, 'bazaar-t-')).toThrow(
      /bazaar-t-\* namespace/,
    );
    expect(() => parseLocation(`bazaar-t-${orgId}/../x/${versionId}`, 'bazaar-t-')).toThrow();
  });

  it('derives the Job name from the execution id alone, within 63 characters', () => {
    expect(jobName(executionId)).toBe(`execution-${executionId}`);
    expect(jobName(executionId)).toBe(jobName(executionId.toUpperCase()));
    expect(jobName('a'.repeat(63)).length).toBeLessThanOrEqual(63);
    expect(runtimeName({ installationId, versionId })).toMatch(/^runtime-[0-9a-f]{16}$/);
    expect(() => tenantNamespace('x'.repeat(40), orgId)).toThrow(/longer than 63/);
  });
});

describe('Kubernetes Job object', () => {
  it('builds only container agents, with the manifest limits and deadline', () => {
    const address = runtimeAddress('bazaar-t-', { orgId, installationId, versionId });
    const job = jobObject(address, executionId, container, { ttlSecondsAfterFinished: 300 });
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 90,
      ttlSecondsAfterFinished: 300,
    });
    expect(job.spec?.template.spec?.containers[0]?.resources).toEqual({
      requests: { cpu: '1', memory: '512Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    });
    expect(() =>
      jobObject(address, executionId, manifest({ kind: 'process', command: ['node'] }), {
        ttlSecondsAfterFinished: 1,
      }),
    ).toThrow(/container/);
  });
});

describe('Kubernetes and the tool gateway', () => {
  const address = runtimeAddress('bazaar-t-', { orgId, installationId, versionId });

  it("gives a granted Job the gateway's variables (over the credentials) and the gateway host's address", () => {
    const gateway = {
      env: { BAZAAR_TOOLS_URL: 'http://bazaar-gateway.bazaar-system.svc:3100', BAZAAR_TOOLS_TOKEN: 't' },
      hostAliases: [{ ip: '10.96.0.20', hostnames: ['bazaar-gateway.bazaar-system.svc'] }],
    };
    const pod = jobObject(address, executionId, container, { ttlSecondsAfterFinished: 1, gateway }).spec!
      .template.spec!;
    expect(pod.containers[0]!.env).toEqual([
      { name: 'BAZAAR_INPUT_FILE', value: '/var/run/bazaar/input/input.json' },
      { name: 'BAZAAR_RESULT_FILE', value: '/dev/termination-log' },
      { name: 'BAZAAR_TOOLS_URL', value: 'http://bazaar-gateway.bazaar-system.svc:3100' },
      { name: 'BAZAAR_TOOLS_TOKEN', value: 't' },
    ]);
    expect(pod.hostAliases).toEqual(gateway.hostAliases);
    const plain = jobObject(address, executionId, container, { ttlSecondsAfterFinished: 1 }).spec!.template
      .spec!;
    expect(plain.containers[0]!.env!.map((variable) => variable.name)).toEqual([
      'BAZAAR_INPUT_FILE',
      'BAZAAR_RESULT_FILE',
    ]);
    expect(plain.hostAliases).toBeUndefined();
  });

  it("lets every pod of the tenant namespace reach the gateway's pods on its port, and nothing else", () => {
    const policy = gatewayEgressPolicy('bazaar-t-x', 'x', {
      url: 'http://bazaar-gateway.bazaar-system.svc:3100',
      namespace: 'bazaar-system',
      port: 3100,
    });
    expect(policy.spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bazaar-system' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'bazaar-gateway' } },
            },
          ],
          ports: [{ port: 3100, protocol: 'TCP' }],
        },
      ],
    });
  });
});

describe('Kubernetes Job outcome', () => {
  const job = (type: string, reason?: string): V1Job => ({
    status: { conditions: [{ type, status: 'True', reason }] },
  });

  it('reads the terminal and interim conditions', () => {
    expect(jobFinish(job('Complete'))).toEqual({ complete: true });
    expect(jobFinish(job('SuccessCriteriaMet'))).toEqual({ complete: true });
    expect(jobFinish(job('FailureTarget', 'DeadlineExceeded'))).toEqual({
      complete: false,
      reason: 'DeadlineExceeded',
    });
    expect(jobFinish({ status: { active: 1 } })).toBeNull();
  });

  it('turns a finished run into a result', () => {
    const base = { log: '', timeoutSeconds: 5, wallMs: 1234 };
    const envelope = JSON.stringify({ output: { answer: 42 }, usage: { tokensIn: 3, tokensOut: 4 } });
    expect(
      invocationResult({
        ...base,
        finish: { complete: true },
        pod: finishedPod({
          message: envelope,
          startedAt: new Date(1000),
          finishedAt: new Date(1500),
        }),
      }),
    ).toMatchObject({
      status: 'succeeded',
      output: { answer: 42 },
      usage: { tokensIn: 3, tokensOut: 4 },
      durationMs: 500,
    });
    expect(
      invocationResult({ ...base, finish: { complete: true }, pod: undefined, log: `noise\n${envelope}\n` }),
    ).toMatchObject({ status: 'succeeded', output: { answer: 42 } });
    expect(
      invocationResult({ ...base, finish: { complete: true }, pod: finishedPod({ message: 'hi' }) }),
    ).toMatchObject({ status: 'failed', reason: expect.stringContaining('no result') });
    expect(
      invocationResult({ ...base, finish: { complete: false, reason: 'DeadlineExceeded' }, pod: undefined }),
    ).toMatchObject({ status: 'timed_out', durationMs: 1234 });
    expect(
      invocationResult({
        ...base,
        finish: { complete: false, reason: 'BackoffLimitExceeded' },
        pod: finishedPod({ exitCode: 2, reason: 'Error', message: 'first\nlast words\n' }),
      }).reason,
    ).toBe('the agent exited with code 2 (Error): last words');
    expect(parseResult('{"usage": {"tokensIn": 1, "tokensOut": 1}}')).toBeNull();
  });

  it('leaves no form of a credential the container echoed once its result passes the shared redactor', () => {
    const value = '>>>???model-key-5e8c1d&x=1';
    const forms = secretForms(value);
    const secretsGiven = { MODEL_API_KEY: value };
    const base = { timeoutSeconds: 5, wallMs: 10 };
    const echoed = forms.join(' ');
    const envelope = JSON.stringify({ output: { [value]: echoed } });
    // A log longer than the 4096 characters of tail kept, which then begins 10 characters into the value.
    const padding = 'x'.repeat(4096 - (value.length - 10) - envelope.length - 2);
    const succeeded = invocationResult({
      ...base,
      finish: { complete: true },
      pod: undefined,
      log: `${value}${padding}\n${envelope}\n`,
    });
    expect(succeeded.logTail.startsWith(value.slice(10))).toBe(true);
    const failed = invocationResult({
      ...base,
      log: '',
      finish: { complete: false, reason: 'BackoffLimitExceeded' },
      pod: finishedPod({ exitCode: 1, reason: 'Error', message: `connecting with ${echoed}\n` }),
    });
    for (const result of [succeeded, failed]) {
      const raw = JSON.stringify(result);
      expect(forms.some((form) => raw.includes(form))).toBe(true);
      const stored = JSON.stringify(redactInvocationResult({ ...result, secretsGiven }));
      expect(secretLeaks(stored, value)).toEqual([]);
      expect(stored).toContain('[redacted:MODEL_API_KEY]');
    }
  });
});

describe('Kubernetes API failures', () => {
  it('keeps the server reason but drops its message (and the client text) when quiet', () => {
    const body = JSON.stringify({
      kind: 'Status',
      reason: 'Invalid',
      message: 'data[x]: Invalid value: "s3cr3t"',
    });
    const error = new ApiException(422, `HTTP-Code: 422 Body: ${body}`, body, {});
    expect(() => describeFailure('write the Secret', error, true)).toThrow(
      /^write the Secret: HTTP 422 Invalid$/,
    );
    expect(() => describeFailure('write the Secret', error)).toThrow(/Invalid value/);
  });
});
