import { spawnSync } from 'node:child_process';

/**
 * A private network namespace joined to this host by a veth pair, for clients that never use
 * loopback (GStreamer's whip-client offers the host candidates of real interfaces only and pins
 * its sends to them). The pair gets a random /30 of 198.18.0.0/15 (RFC 2544, benchmarking):
 * the host side is the server's address, the namespace side the client's. The namespace has no
 * other route, so nothing started in it can reach beyond the host side of the pair.
 *
 * Needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN) and `ip` from iproute2.
 */
export interface NetworkNamespace {
  name: string;
  /** The host side of the veth pair: bind the server's HTTP and ICE here. */
  hostAddress: string;
  /** The namespace side: the client's only address. */
  clientAddress: string;
  /** Argument list that runs `command` inside the namespace (`ip netns exec`, which execs it: the pid is the command's). */
  exec(command: string, args: string[]): { file: string; args: string[] };
  /** Deletes the namespace and the pair; idempotent. Processes still in it keep it alive: end them first. */
  close(): void;
}

const PREFIX = 'whipgst';
let created = 0;

/** Throws, naming what is missing, unless this process can create network namespaces. */
export function requireNetworkNamespaces(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`network namespaces need root (ip netns add, a veth pair); this test runs as uid ${process.getuid?.()}`);
  }
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (ip.error) throw new Error(`\`ip\` is missing (${ip.error.message}): install Debian's iproute2 (apt-get install -y iproute2)`);
}

export function createNetworkNamespace(): NetworkNamespace {
  requireNetworkNamespaces();
  removeStaleNamespaces();
  created += 1;
  const name = `${PREFIX}-${process.pid}-${created}`;
  // Interface names are at most 15 characters.
  const hostLink = `wg${process.pid}x${created}h`;
  const clientLink = `wg${process.pid}x${created}n`;
  const { hostAddress, clientAddress } = freeSubnet();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    run(['netns', 'del', name], true);
    run(['link', 'del', hostLink], true); // gone with the namespace already, unless that failed
  };
  try {
    run(['netns', 'add', name]);
    run(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', clientLink, 'netns', name]);
    run(['addr', 'add', `${hostAddress}/30`, 'dev', hostLink]);
    run(['link', 'set', hostLink, 'up']);
    run(['-n', name, 'addr', 'add', `${clientAddress}/30`, 'dev', clientLink]);
    run(['-n', name, 'link', 'set', clientLink, 'up']);
    run(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (error) {
    close();
    throw error;
  }
  return {
    name,
    hostAddress,
    clientAddress,
    exec: (command, args) => ({ file: 'ip', args: ['netns', 'exec', name, command, ...args] }),
    close,
  };
}

function run(args: string[], ignoreFailure = false): string {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (!ignoreFailure && (result.error || result.status !== 0)) {
    const why = result.error?.message ?? result.stderr.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${why} (network namespaces need root and iproute2)`);
  }
  return result.stdout ?? '';
}

/** A /30 of 198.18.0.0/15 that no interface here uses (other test runs may hold one). */
function freeSubnet(): { hostAddress: string; clientAddress: string } {
  const inUse = run(['-4', '-o', 'addr', 'show']);
  for (let attempt = 0; attempt < 100; attempt++) {
    const block = 1 + Math.floor(Math.random() * 32766);
    const base = (198 << 24) + (18 << 16) + block * 4;
    const hostAddress = ipv4(base + 1);
    const clientAddress = ipv4(base + 2);
    if (!inUse.includes(` ${hostAddress}/`) && !inUse.includes(` ${clientAddress}/`)) return { hostAddress, clientAddress };
  }
  throw new Error('no free /30 in 198.18.0.0/15');
}

function ipv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/** Namespaces of earlier runs whose process is gone (killed before its cleanup ran). */
function removeStaleNamespaces(): void {
  for (const line of run(['netns', 'list'], true).split('\n')) {
    const match = new RegExp(`^(${PREFIX}-(\\d+)-\\d+)\\b`).exec(line);
    if (match && !processAlive(Number(match[2]))) run(['netns', 'del', match[1]!], true);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
