/** What a local server answers to: its own address, and the names a user added. */
export interface HostAllowance {
  /** The interface the server was asked to bind, e.g. `127.0.0.1`. */
  host: string;
  /** The port the request arrived on. */
  port: number;
  /** The address the request's connection arrived at, e.g. `192.168.1.5` on a server bound to `0.0.0.0`. */
  localAddress?: string;
  /**
   * More `Host` values, as in `local.allowHosts`: `name` (any port) or `name:port`.
   * @default - none
   */
  allowHosts?: readonly string[];
}

/** Names every local server answers to on its own port. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'] as const;

/** Port a `Host` header without one means (plain HTTP). */
const DEFAULT_HTTP_PORT = 80;

/** A `Host` value: a name or IPv4 address, or a bracketed IPv6 address, then maybe a port. */
const HOST_PATTERN = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;

/**
 * Whether a request's `Host` header names this server. A page whose domain
 * name an attacker rebinds to 127.0.0.1 (DNS rebinding) reaches the server
 * from the browser as same-origin, but its `Host` still carries the
 * attacker's domain: refusing names the server does not know closes that
 * path. Allowed are the bound host, `localhost`, `127.0.0.1`, `[::1]` and the
 * address the connection arrived at, each with the request's own port (an IP
 * address cannot be rebound, so these are safe), plus `allowHosts`. A missing
 * or malformed header is not allowed.
 *
 * @example
 * isAllowedHost('localhost:4570', { host: '127.0.0.1', port: 4570 }); // true
 * isAllowedHost('evil.example:4570', { host: '127.0.0.1', port: 4570 }); // false
 */
export function isAllowedHost(hostHeader: string | undefined, allowance: HostAllowance): boolean {
  const requested = hostHeader === undefined ? undefined : parseHost(hostHeader);
  if (requested === undefined) return false;
  const port = requested.port ?? DEFAULT_HTTP_PORT;
  for (const entry of allowance.allowHosts ?? []) {
    const allowed = parseHost(entry);
    if (allowed?.name === requested.name && (allowed.port ?? port) === port) return true;
  }
  if (port !== allowance.port) return false;
  const own = [allowance.host, allowance.localAddress].flatMap((address) =>
    address === undefined ? [] : [asHostName(address)],
  );
  return [...LOOPBACK_NAMES, ...own].includes(requested.name);
}

function parseHost(value: string): { name: string; port: number | undefined } | undefined {
  const match = HOST_PATTERN.exec(value.trim().toLowerCase());
  if (!match?.[1]) return undefined;
  return { name: match[1], port: match[2] === undefined ? undefined : Number(match[2]) };
}

/** How an address appears in a `Host` header: IPv6 in brackets, IPv4-mapped IPv6 as IPv4. */
function asHostName(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice('::ffff:'.length);
  if (lower.includes(':') && !lower.startsWith('[')) return `[${lower}]`;
  return lower;
}
