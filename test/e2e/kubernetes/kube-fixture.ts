import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeClient, loadKubeconfig, type KubeObject } from '@switchyard/deploy';
import type { KubeSimulator } from '../../support/kube-simulator/kube-simulator';

const RBAC_DIR = join(__dirname, '../../../deploy/rbac');

/** The objects of one of deploy/rbac's files, as `kubectl apply -f` would send them. */
export function rbacObjects(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(join(RBAC_DIR, file), 'utf8'))
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** A client for the simulator's admin (as the cluster's administrator applying the RBAC files). */
export function adminClient(sim: KubeSimulator, dir: string): KubeClient {
  const file = join(dir, 'admin.kubeconfig');
  sim.writeKubeconfig(file);
  return new KubeClient(loadKubeconfig([file]));
}

/**
 * Applies deploy/rbac as its README says: the ServiceAccount, the namespaces ClusterRole, and
 * target-namespace.yaml once per namespace (its `namespace: market-data` replaced). `withoutVerb`
 * removes a verb from every rule of the Role, to show what the server does without it.
 */
export async function applyShippedRbac(admin: KubeClient, namespaces: string[], options: { withoutVerb?: string } = {}): Promise<void> {
  for (const object of [...rbacObjects('service-account.yaml'), ...rbacObjects('namespaces.yaml')]) await admin.apply(object);
  for (const namespace of namespaces) {
    if (!(await admin.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }))) {
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    }
    for (const object of rbacObjects('target-namespace.yaml')) {
      const copy = structuredClone(object);
      copy.metadata.namespace = namespace;
      if (options.withoutVerb && Array.isArray(copy.rules)) {
        for (const rule of copy.rules as Array<{ verbs: string[] }>) rule.verbs = rule.verbs.filter((verb) => verb !== options.withoutVerb);
      }
      await admin.apply(copy);
    }
  }
}

/** A kubeconfig file for ServiceAccount switchyard/switchyard: what the server uses when RBAC is to decide. */
export function writeServiceAccountKubeconfig(sim: KubeSimulator, dir: string): string {
  const file = join(dir, 'switchyard-sa.kubeconfig');
  writeFileSync(file, sim.serviceAccountKubeconfig('switchyard', 'switchyard'), { mode: 0o600 });
  return file;
}
