import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesRuntimeDriver, type KubernetesRuntimeDriverOptions } from './kubernetes-runtime-driver.js';

/** What configuration says about the Kubernetes runtime. */
export interface KubernetesRuntimeConfig extends KubernetesRuntimeDriverOptions {
  /** A kubeconfig file to use; without one, the service account of the pod Bazaar runs in. */
  kubeconfigPath?: string;
}

/** Builds the Kubernetes driver from configuration, reading the kubeconfig once, at start-up. */
export function createKubernetesRuntimeDriver(config: KubernetesRuntimeConfig): KubernetesRuntimeDriver {
  const kubeConfig = new KubeConfig();
  if (config.kubeconfigPath) kubeConfig.loadFromFile(config.kubeconfigPath);
  else kubeConfig.loadFromCluster();
  return new KubernetesRuntimeDriver(kubeConfig, {
    namespacePrefix: config.namespacePrefix,
    ttlSecondsAfterFinished: config.ttlSecondsAfterFinished,
    pollIntervalMs: config.pollIntervalMs,
    workerServiceAccount: config.workerServiceAccount,
  });
}
