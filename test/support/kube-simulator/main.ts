import { parseArgs } from 'node:util';
import { KubeSimulator } from './kube-simulator';

/**
 * `npm run kube-simulator -- --port 6443 --kubeconfig ./simulator.kubeconfig`: a Kubernetes API
 * on loopback for trying a release by hand, with a kubeconfig that points at it.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      kubeconfig: { type: 'string' },
      token: { type: 'string' },
      'pod-start-ms': { type: 'string', default: '1000' },
      tls: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  const podStartMs = Number(values['pod-start-ms']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (got "${values.port}")`);
  if (!Number.isInteger(podStartMs) || podStartMs < 0) throw new Error(`--pod-start-ms must be a number of milliseconds (got "${values['pod-start-ms']}")`);
  const simulator = await KubeSimulator.start({ port, host: values.host, token: values.token, podStartMs, tls: values.tls });
  if (values.kubeconfig) simulator.writeKubeconfig(values.kubeconfig);
  process.stdout.write(
    [
      `kube-simulator: Kubernetes API at ${simulator.url}`,
      values.kubeconfig
        ? `kube-simulator: kubeconfig written to ${values.kubeconfig}`
        : `kube-simulator: bearer token ${simulator.token} (pass --kubeconfig FILE to write a kubeconfig)`,
      `kube-simulator: make an image misbehave: curl -X PUT ${simulator.url}/simulator/v1/images -d '{"image":"REPOSITORY[:TAG]","behaviour":"crash|unpullable|never-ready|ok"}'`,
      '',
    ].join('\n'),
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void simulator.close().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`kube-simulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
