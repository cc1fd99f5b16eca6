import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../../config.js';
import { KubernetesRuntimeDriver, type KubernetesRuntimeDriverOptions } from './kubernetes-runtime-driver.js';

/** What configuration says about the Kubernetes runtime. */
export interface KubernetesRuntimeConfig extends Omit<KubernetesRuntimeDriverOptions, 'gateway'> {
  /** A kubeconfig file to use; without one, the service account of the pod Bazaar runs in. */
  kubeconfigPath?: string;
}

/**
 * The namespace of the gateway's pods: the one its Service name says (`<service>.<namespace>.svc…`),
 * else the worker's own (k8s/ deploys them side by side), else `bazaar-system`.
 */
function gatewayNamespace(url: string, config: KubernetesRuntimeConfig): string {
  const service = /^[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.|$)/.exec(new URL(url).hostname);
  return service?.[1] ?? config.workerServiceAccount?.namespace ?? 'bazaar-system';
}

/** Builds the Kubernetes driver from configuration, reading the kubeconfig once, at start-up. */
export function createKubernetesRuntimeDriver(
  config: KubernetesRuntimeConfig,
  gateway: Pick<Config['gateway'], 'internalUrl' | 'port'>,
): KubernetesRuntimeDriver {
  const kubeConfig = new KubeConfig();
  if (config.kubeconfigPath) kubeConfig.loadFromFile(config.kubeconfigPath);
  else kubeConfig.loadFromCluster();
  return new KubernetesRuntimeDriver(kubeConfig, {
    namespacePrefix: config.namespacePrefix,
    ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
    pollIntervalMs: config.pollIntervalMs,
    workerServiceAccount: config.workerServiceAccount,
    gateway: {
      url: gateway.internalUrl,
      port: gateway.port,
      namespace: gatewayNamespace(gateway.internalUrl, config),
    },
  });
}
