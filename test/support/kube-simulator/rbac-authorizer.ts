import { randomBytes } from 'node:crypto';
import type { JsonObject } from './field-ownership';

/** Who a bearer token authenticates as. */
export interface UserInfo {
  username: string;
  groups: string[];
}

/** What a request asks to do, in the API server's authorizer terms. */
export interface RequestAttributes {
  verb: string;
  group: string;
  /** Plural resource name (`deployments`). */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

/** Reads the stored RBAC objects of a kind (Role, RoleBinding, ClusterRole, ClusterRoleBinding), rendered as GET returns them. */
export type RbacObjects = (kind: 'Role' | 'RoleBinding' | 'ClusterRole' | 'ClusterRoleBinding', namespace?: string) => JsonObject[];

const obj = (value: unknown): JsonObject => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {});
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/**
 * The RBAC authorizer of the API server, for service-account tokens the simulator issues: a
 * request is allowed when a RoleBinding in its namespace or a ClusterRoleBinding binds the
 * account (or one of its groups) to a Role/ClusterRole with a matching rule. Denials carry the
 * real server's wording, so a client's error handling is tested against what a cluster says.
 * The simulator's own admin token is `system:masters` (everything), as a kind cluster's admin is.
 */
export class RbacAuthorizer {
  private readonly tokens = new Map<string, UserInfo>();

  constructor(private readonly objects: RbacObjects) {}

  /** A token for `system:serviceaccount:<namespace>:<name>`, as the token controller would mint it. */
  issueServiceAccountToken(namespace: string, name: string): string {
    const token = `sa-${randomBytes(18).toString('hex')}`;
    this.tokens.set(token, {
      username: `system:serviceaccount:${namespace}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    });
    return token;
  }

  userOf(token: string): UserInfo | undefined {
    return this.tokens.get(token);
  }

  allows(user: UserInfo, request: RequestAttributes): boolean {
    if (user.groups.includes('system:masters')) return true;
    const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
    const matchesRule = (rule: PolicyRule) =>
      strings(rule.verbs).some((v) => v === '*' || v === request.verb) &&
      strings(rule.apiGroups).some((g) => g === '*' || g === request.group) &&
      strings(rule.resources).some((r) => r === '*' || r === resource || (request.subresource === undefined && r === `${request.resource}/*`)) &&
      (strings(rule.resourceNames).length === 0 || (request.name !== undefined && strings(rule.resourceNames).includes(request.name)));
    const bound = (binding: JsonObject) =>
      (binding.subjects as JsonObject[] | undefined)?.some((subject) => {
        const kind = String(subject.kind);
        if (kind === 'ServiceAccount')
          return user.username === `system:serviceaccount:${String(subject.namespace ?? obj(binding.metadata).namespace)}:${String(subject.name)}`;
        if (kind === 'User') return user.username === subject.name;
        if (kind === 'Group') return user.groups.includes(String(subject.name));
        return false;
      }) ?? false;
    const rulesOf = (roleRef: JsonObject, namespace?: string): PolicyRule[] => {
      const name = String(roleRef.name);
      const role =
        roleRef.kind === 'Role'
          ? this.objects('Role', namespace).find((r) => obj(r.metadata).name === name)
          : this.objects('ClusterRole').find((r) => obj(r.metadata).name === name);
      return (role?.rules as PolicyRule[] | undefined) ?? [];
    };
    for (const binding of this.objects('ClusterRoleBinding')) {
      if (bound(binding) && rulesOf(obj(binding.roleRef)).some(matchesRule)) return true;
    }
    if (request.namespace) {
      for (const binding of this.objects('RoleBinding', request.namespace)) {
        if (bound(binding) && rulesOf(obj(binding.roleRef), request.namespace).some(matchesRule)) return true;
      }
    }
    return false;
  }

  /** The Status message of a 403, worded as the API server words it. */
  forbiddenMessage(user: UserInfo, request: RequestAttributes): string {
    const qualified = request.group ? `${request.resource}.${request.group}` : request.resource;
    const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
    const scope = request.namespace ? `in the namespace "${request.namespace}"` : 'at the cluster scope';
    const reason = `User "${user.username}" cannot ${request.verb} resource "${resource}" in API group "${request.group}" ${scope}`;
    return `${qualified}${request.name ? ` "${request.name}"` : ''} is forbidden: ${reason}`;
  }

  /** POST selfsubjectaccessreviews (`kubectl auth can-i`): the review with its status filled in. */
  review(user: UserInfo, body: JsonObject): JsonObject {
    const attributes = obj(obj(body.spec).resourceAttributes);
    const allowed = this.allows(user, {
      verb: String(attributes.verb ?? ''),
      group: String(attributes.group ?? ''),
      resource: String(attributes.resource ?? ''),
      subresource: attributes.subresource ? String(attributes.subresource) : undefined,
      namespace: attributes.namespace ? String(attributes.namespace) : undefined,
      name: attributes.name ? String(attributes.name) : undefined,
    });
    return {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: body.spec ?? {},
      status: { allowed, ...(allowed ? { reason: 'RBAC: allowed' } : {}) },
    };
  }
}

/** Who the simulator's admin token is. */
export const ADMIN_USER: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

/** authorization.k8s.io in /apis, so kubectl finds the access-review resources. */
export const ACCESS_REVIEW_GROUPS: JsonObject[] = [
  {
    name: 'authorization.k8s.io',
    versions: [{ groupVersion: 'authorization.k8s.io/v1', version: 'v1' }],
    preferredVersion: { groupVersion: 'authorization.k8s.io/v1', version: 'v1' },
  },
];

export const SELF_SUBJECT_ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

export function accessReviewDiscovery(path: string): JsonObject | undefined {
  if (path !== '/apis/authorization.k8s.io/v1') return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'authorization.k8s.io/v1',
    resources: [
      { name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] },
    ],
  };
}

/** The authorizer verb of a request: the HTTP method, with list/watch told apart as the server does. */
export function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}
