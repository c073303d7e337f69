import { BlockList, isIP } from 'node:net';

type Family = 'ipv4' | 'ipv6';

/** Addresses that reach the host itself, its pod or a cloud's metadata service (first match names the problem). */
const GUARDED_RANGES: ReadonlyArray<{ network: string; prefix: number; family: Family; what: string }> = [
  { network: '169.254.169.254', prefix: 32, family: 'ipv4', what: 'a cloud metadata address' },
  { network: 'fd00:ec2::254', prefix: 128, family: 'ipv6', what: 'a cloud metadata address' },
  { network: '127.0.0.0', prefix: 8, family: 'ipv4', what: 'a loopback address' },
  { network: '::1', prefix: 128, family: 'ipv6', what: 'a loopback address' },
  { network: '169.254.0.0', prefix: 16, family: 'ipv4', what: 'a link-local address' },
  { network: 'fe80::', prefix: 10, family: 'ipv6', what: 'a link-local address' },
  // Linux connects 0.0.0.0 (and the rest of "this network") to the host itself.
  { network: '0.0.0.0', prefix: 8, family: 'ipv4', what: 'an unspecified address' },
  { network: '::', prefix: 128, family: 'ipv6', what: 'an unspecified address' },
];

const METADATA_NAMES = ['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal'];

const HOSTNAME = /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** One item of MIRROR_ALLOWED_TARGETS: a host name (`*.` for its subdomains), an address or a CIDR, optionally with a port. */
interface TargetRule {
  text: string;
  name?: string;
  range?: { network: string; prefix: number; family: Family; list: BlockList };
  port?: number;
}

export class EgressRuleError extends Error {}

/**
 * Where mirror routes may send traffic (primary, candidate, secondary). Without a list, any host
 * except loopback, link-local, unspecified and metadata addresses (and the metadata and localhost
 * names); with a list, only what it names — and a guarded address only when an entry inside its
 * guarded range names it (`127.0.0.1`, `127.0.0.0/8`), never through a wider one (`0.0.0.0/0`).
 * Names are not resolved: a name that resolves to a guarded address is only kept out by a list.
 */
export class EgressPolicy {
  private constructor(private readonly rules: readonly TargetRule[] | undefined) {}

  /** The default: no list. */
  static readonly OPEN = new EgressPolicy(undefined);

  /** Parses a comma-separated list (`10.0.0.0/8, orders.internal:8080, [fd00::1]:80, *.svc.cluster.local`). */
  static allowing(list: string): EgressPolicy {
    const items = list
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0) throw new EgressRuleError('must list at least one host, address or CIDR');
    return new EgressPolicy(items.map(parseRule));
  }

  get listed(): boolean {
    return this.rules !== undefined;
  }

  /** Why `target` (an http(s) URL) may not be a route target, or undefined when it may. */
  refusal(target: string): string | undefined {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return undefined; // The route schema reports malformed URLs.
    }
    const host = normalizeHost(url.hostname);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    const family = familyOf(host);
    const guard = family ? GUARDED_RANGES.find((range) => inRange(host, family, range)) : undefined;
    const guardedName = family ? undefined : guardedNameOf(host);
    const what = guard?.what ?? guardedName;
    if (this.rules === undefined) {
      return what ? `${host} is ${what}; only MIRROR_ALLOWED_TARGETS can allow it` : undefined;
    }
    const allowed = this.rules.some((rule) => {
      if (rule.port !== undefined && rule.port !== port) return false;
      if (rule.name !== undefined) {
        if (family) return false;
        // Guarded names need the exact name, not a wildcard.
        return rule.name.startsWith('*.') ? !what && host.endsWith(rule.name.slice(1)) : rule.name === host;
      }
      const range = rule.range!;
      if (!family || !range.list.check(host, family)) return false;
      return !guard || (range.family === guard.family && range.prefix >= guard.prefix && inRange(range.network, range.family, guard));
    });
    if (allowed) return undefined;
    if (what) return `${host} is ${what}; allow it by listing it (or a range inside it) in MIRROR_ALLOWED_TARGETS`;
    return `${host}:${port} is not in MIRROR_ALLOWED_TARGETS`;
  }
}

function parseRule(text: string): TargetRule {
  const lower = text.toLowerCase();
  const slash = lower.indexOf('/');
  if (slash >= 0) {
    const network = lower.slice(0, slash);
    const bits = lower.slice(slash + 1);
    const family = familyOf(network);
    const max = family === 'ipv6' ? 128 : 32;
    if (!family || !/^\d{1,3}$/.test(bits) || Number(bits) > max) throw new EgressRuleError(`"${text}" is not a CIDR (10.0.0.0/8, fd00::/8)`);
    return { text, range: rangeOf(network, Number(bits), family) };
  }
  let host = lower;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(lower);
  if (bracketed) [, host, port] = bracketed;
  else if (lower.split(':').length === 2) [host, port] = lower.split(':');
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw new EgressRuleError(`"${text}" has a bad port`);
  }
  const rule = port === undefined ? {} : { port: Number(port) };
  host = normalizeHost(host);
  const family = familyOf(host);
  if (family) return { text, ...rule, range: rangeOf(host, family === 'ipv4' ? 32 : 128, family) };
  if (bracketed || !HOSTNAME.test(host)) throw new EgressRuleError(`"${text}" is not a host name, host:port, address or CIDR`);
  return { text, ...rule, name: host };
}

function rangeOf(network: string, prefix: number, family: Family): NonNullable<TargetRule['range']> {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { network, prefix, family, list };
}

function inRange(address: string, family: Family, range: { network: string; prefix: number; family: Family }): boolean {
  if (family !== range.family) return false;
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return list.check(address, family);
}

/** `[::ffff:7f00:1]` → `127.0.0.1`; `Metadata.Google.Internal.` → `metadata.google.internal`. */
function normalizeHost(hostname: string): string {
  const host = hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

function familyOf(host: string): Family | undefined {
  const version = isIP(host);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}

function guardedNameOf(host: string): string | undefined {
  if (METADATA_NAMES.includes(host)) return 'a cloud metadata name';
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a loopback name';
  return undefined;
}
