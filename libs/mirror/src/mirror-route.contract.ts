// Mirror routes as /api/v1/mirror/routes answers them. Browser-safe (types only): the admin UI
// imports it with `import type`.

/**
 * The fields of a route every reader may rely on. The whole route is `mirrorRouteSchema`'s output
 * (mirror-route.schema.ts, every default filled in), which is zod's to describe, so the server
 * passes it as `Route`.
 */
export interface MirrorRouteSummary {
  name: string;
  primary: string;
  candidate: string;
  secondary?: string;
  match: { host?: string; pathPrefix: string };
  sample: { percent?: number; flag?: string; bucketBy?: string; salt?: string };
}

export interface MirrorRouteView<Route extends MirrorRouteSummary = MirrorRouteSummary> {
  name: string;
  version: number;
  /** The route with every default filled in, as proxies run it. */
  route: Route;
  createdBy: string;
  updatedBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface MirrorRouteList<Route extends MirrorRouteSummary = MirrorRouteSummary> {
  /** Bumped by every change to any route. */
  revision: number;
  items: Array<MirrorRouteView<Route>>;
}
