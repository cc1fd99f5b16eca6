// Starts a real Kubernetes control plane on loopback for the Kubernetes driver tests: kine (an etcd
// API over SQLite) as the store, kube-apiserver (TLS with a throw-away CA, a static admin token, RBAC,
// the default admission plugins, PodSecurity among them) and kube-controller-manager (so Jobs create
// pods, namespaces are emptied, owned objects are collected). The binaries come from
// scripts/setup-kubernetes.sh. There is no scheduler and no kubelet: test/support/kubelet-stand-in.ts
// plays the node.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);
const KUBERNETES_VERSION = 'v1.35.4';
const KINE_VERSION = 'v0.16.4';

/** The pinned binaries: $KUBE_APISERVER_PATH etc. (exported by the setup script) or their cache locations. */
export function kubernetesBinaries(): { apiserver: string; controllerManager: string; kine: string } {
  const cache = join(homedir(), '.cache/bazaar');
  return {
    apiserver:
      process.env.KUBE_APISERVER_PATH ?? join(cache, `kubernetes-${KUBERNETES_VERSION}/kube-apiserver`),
    controllerManager:
      process.env.KUBE_CONTROLLER_MANAGER_PATH ??
      join(cache, `kubernetes-${KUBERNETES_VERSION}/kube-controller-manager`),
    kine: process.env.KINE_PATH ?? join(cache, `kine-${KINE_VERSION}/kine`),
  };
}

/** A running control plane: a KubeConfig with cluster-admin rights, and how to stop it. */
export interface KubernetesCluster {
  kubeConfig: KubeConfig;
  server: string;
  /** The tail of each component's output, for a failing test to print. */
  logs(): string;
  stop(): Promise<void>;
}

const LOG_TAIL = 64 * 1024;

/** One started binary, its output kept (the tail) in memory. */
class Component {
  private output = '';
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const remember = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-LOG_TAIL);
    };
    child.stdout?.on('data', remember);
    child.stderr?.on('data', remember);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  log(): string {
    return `--- ${this.name}${this.running ? '' : ` (exited: ${this.child.exitCode ?? this.child.signalCode})`}\n${this.output}`;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const killed = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(killed);
  }
}

/** Starts kine, kube-apiserver and kube-controller-manager on free loopback ports, in a temp directory. */
export async function startKubernetesCluster(): Promise<KubernetesCluster> {
  const binaries = kubernetesBinaries();
  for (const path of Object.values(binaries)) {
    await access(path).catch(() => {
      throw new Error(
        `no ${path}: run \`source scripts/setup-kubernetes.sh\` (npm test does) to build kube-apiserver, ` +
          'kube-controller-manager and kine',
      );
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'bazaar-kubernetes-'));
  const components: Component[] = [];
  const logs = () => components.map((component) => component.log()).join('\n');
  const stop = async () => {
    for (const component of [...components].reverse()) await component.stop();
    await rm(dir, { recursive: true, force: true });
  };
  const start = (name: string, path: string, args: string[]) => {
    const component = new Component(name, spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    components.push(component);
    return component;
  };
  const assertRunning = () => {
    const dead = components.find((component) => !component.running);
    if (dead) throw new Error(`${dead.name} exited during start-up:\n${logs()}`);
  };

  try {
    const files = await writeCredentials(dir);
    const [kinePort, apiPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
    const server = `https://127.0.0.1:${apiPort}`;

    start('kine', binaries.kine, [
      `--listen-address=127.0.0.1:${kinePort}`,
      `--endpoint=sqlite://${join(dir, 'kine.db')}?_journal=WAL&cache=shared`,
    ]);
    const apiserver = start('kube-apiserver', binaries.apiserver, [
      `--etcd-servers=http://127.0.0.1:${kinePort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver')}`,
      `--tls-cert-file=${files.serverCert}`,
      `--tls-private-key-file=${files.serverKey}`,
      `--client-ca-file=${files.caCert}`,
      `--token-auth-file=${files.tokens}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${files.serviceAccountPublic}`,
      `--service-account-signing-key-file=${files.serviceAccountKey}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      '--authorization-mode=RBAC',
      // As on any real cluster: privileged pods are allowed by the server, so Pod Security Admission
      // is what refuses them in a tenant namespace.
      '--allow-privileged=true',
      // The `kubernetes` Service's endpoint would be 127.0.0.1, which Endpoints refuse; nothing here uses it.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ]);
    const ca = await readFile(files.caCert, 'utf8');
    await waitFor(
      async () => {
        assertRunning();
        return (await httpsStatus(`${server}/readyz`, { ca, token: files.adminToken })) === 200;
      },
      'kube-apiserver /readyz',
      90_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${apiserver.running ? logs() : ''}`);
    });

    const kubeconfigPath = join(dir, 'controller-manager.kubeconfig');
    await writeFile(kubeconfigPath, JSON.stringify(kubeconfigFile(server, files.caCert, files.adminToken)));
    start('kube-controller-manager', binaries.controllerManager, [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--authentication-skip-lookup=true',
      '--bind-address=127.0.0.1',
      `--secure-port=${controllerPort}`,
      `--cert-dir=${join(dir, 'controller-manager')}`,
      '--leader-elect=false',
      '--use-service-account-credentials=false',
      `--service-account-private-key-file=${files.serviceAccountKey}`,
      `--root-ca-file=${files.caCert}`,
      // Everything on by default, except what watches node health: the stand-in node sends no
      // heartbeats, and would be marked unreachable and its pods evicted.
      '--controllers=*,-node-lifecycle-controller,-taint-eviction-controller',
      '--profiling=false',
    ]);

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'bazaar-test', server, caData: Buffer.from(ca).toString('base64') }],
      users: [{ name: 'admin', token: files.adminToken }],
      contexts: [{ name: 'bazaar-test', cluster: 'bazaar-test', user: 'admin' }],
      currentContext: 'bazaar-test',
    });
    // The ServiceAccount controller making `default` in `default` shows the controllers run.
    const core = kubeConfig.makeApiClient(CoreV1Api);
    await waitFor(
      async () => {
        assertRunning();
        return core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' }).then(
          () => true,
          () => false,
        );
      },
      'kube-controller-manager to create the default ServiceAccount',
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${logs()}`);
    });
    return { kubeConfig, server, logs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface CredentialFiles {
  caCert: string;
  serverCert: string;
  serverKey: string;
  serviceAccountKey: string;
  serviceAccountPublic: string;
  tokens: string;
  adminToken: string;
}

/** A throw-away CA, the apiserver's serving certificate (127.0.0.1), a service-account key pair and an admin token. */
async function writeCredentials(dir: string): Promise<CredentialFiles> {
  const path = (name: string) => join(dir, name);
  // Run in `dir` with relative file names, so each command is one plain string.
  const openssl = (command: string) => run('openssl', command.split(' '), { cwd: dir });
  await openssl(
    'req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=bazaar-test-ca -keyout ca.key -out ca.crt',
  );
  await openssl('req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout server.key -out server.csr');
  await writeFile(
    path('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n' +
      'extendedKeyUsage=serverAuth\n',
  );
  await openssl(
    'x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile server.ext -out server.crt',
  );
  await openssl('genrsa -out sa.key 2048');
  await openssl('rsa -in sa.key -pubout -out sa.pub');
  const adminToken = randomBytes(24).toString('hex');
  await writeFile(
    path('tokens.csv'),
    `${adminToken},bazaar-test-admin,bazaar-test-admin,"system:masters"\n`,
    {
      mode: 0o600,
    },
  );
  return {
    caCert: path('ca.crt'),
    serverCert: path('server.crt'),
    serverKey: path('server.key'),
    serviceAccountKey: path('sa.key'),
    serviceAccountPublic: path('sa.pub'),
    tokens: path('tokens.csv'),
    adminToken,
  };
}

function kubeconfigFile(server: string, caFile: string, token: string) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'bazaar-test', cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name: 'admin', user: { token } }],
    contexts: [{ name: 'bazaar-test', context: { cluster: 'bazaar-test', user: 'admin' } }],
    'current-context': 'bazaar-test',
  };
}

/** The status of a GET over TLS with the test CA, or 0 when nothing answers. */
function httpsStatus(url: string, options: { ca: string; token: string }): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { ca: options.ca, headers: { authorization: `Bearer ${options.token}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}
