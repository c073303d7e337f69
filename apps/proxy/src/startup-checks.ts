import { loadRouteFileSettings, RouteFileError, type MirrorRoute, type RouteFileSettings } from '@switchyard/mirror';
import type { RouteFileWatcher } from './route-file-watcher';
import { TlsFilesError } from './tls-files';

/**
 * The operator's mistakes at start (a bad route file, a TLS pair that cannot serve) end the proxy
 * with one line and exit 2, never a stack trace; anything else is a bug and is thrown on.
 */
export function exitOnOperatorError(error: unknown): never {
  if (error instanceof RouteFileError) {
    process.stderr.write(`switchyard proxy: bad route file\n${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof TlsFilesError) {
    process.stderr.write(`switchyard proxy: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

/**
 * The route file's routes (through its watcher, which then follows edits) and its settings (`tls:`).
 * A file with no routes is a mistake (an empty ConfigMap, a wrong path), not a state to serve in:
 * refused at start. Later edits may empty it; the running proxy then passes through.
 */
export async function loadRouteFileOrExit(routeFile: RouteFileWatcher, config: string): Promise<{ routes: MirrorRoute[]; settings: RouteFileSettings }> {
  let routes: MirrorRoute[];
  let settings: RouteFileSettings;
  try {
    routes = await routeFile.load();
    // The file's `tls:` (the watcher applies only its routes; the TLS files themselves are watched).
    settings = await loadRouteFileSettings(config);
  } catch (error) {
    exitOnOperatorError(error);
  }
  if (routes.length === 0) {
    process.stderr.write(`switchyard proxy: --config ${config} has no routes: add at least one route (apps/proxy/README.md)\n`);
    process.exit(2);
  }
  return { routes, settings };
}
