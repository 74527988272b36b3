import type { RTCIceServer } from 'werift';
import { ipv4List, list, type Env } from '../configValues';
import { ConfigError } from '../errors';

/** How a peer connection gathers candidates, wherever it lives. */
export interface IceSettings {
  /** STUN/TURN servers; empty means werift contacts no server at all. */
  iceServers: RTCIceServer[];
  /** Extra host candidates (127.0.0.1 by default so local clients can connect). */
  iceAdditionalHostAddresses: string[];
  /** Bind ICE to one local address; unset means every interface. */
  iceInterfaceAddress: string | undefined;
  /** The UDP ports ICE binds, inclusive (ICE_PORT_RANGE); unset means any free port. */
  icePortRange: readonly [number, number] | undefined;
}

export function iceSettings(env: Env): IceSettings {
  const interfaceAddresses = ipv4List(env, 'ICE_INTERFACE_ADDRESS', []);
  if (interfaceAddresses.length > 1) {
    throw new ConfigError('ICE_INTERFACE_ADDRESS takes a single IPv4 address');
  }
  return {
    iceServers: iceServers(env),
    iceAdditionalHostAddresses: hostCandidateAddresses(env),
    iceInterfaceAddress: interfaceAddresses[0],
    icePortRange: portRange(env, 'ICE_PORT_RANGE'),
  };
}

function iceServers(env: Env): RTCIceServer[] {
  const urls = list(env, 'ICE_SERVERS', []);
  for (const url of urls) {
    if (!/^(stun|stuns|turn|turns):[^\s]+$/.test(url)) {
      throw new ConfigError(`ICE_SERVERS entries must be stun:, stuns:, turn: or turns: URLs, got "${url}"`);
    }
  }
  if (urls.length === 0) return [];
  const username = env.ICE_USERNAME;
  const credential = env.ICE_CREDENTIAL;
  return urls.map((url) => (url.startsWith('turn') ? { urls: url, username, credential } : { urls: url }));
}

/** "40000-40999": the inclusive range of UDP ports ICE may bind. */
function portRange(env: Env, name: string): readonly [number, number] | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(raw);
  const [low, high] = [Number(match?.[1]), Number(match?.[2])];
  if (!match || low < 1024 || high > 65535 || low > high) {
    throw new ConfigError(`${name} must be LOW-HIGH with 1024 <= LOW <= HIGH <= 65535, e.g. 40000-40999, got "${raw}"`);
  }
  return [low, high];
}

/**
 * The addresses announced as host candidates beside the local ones, on the same ports:
 * ICE_ADDITIONAL_HOST_ADDRESSES, then ICE_ANNOUNCED_ADDRESS (the public address of a server
 * behind NAT, as other media servers call it).
 */
function hostCandidateAddresses(env: Env): string[] {
  const announced = ipv4List(env, 'ICE_ANNOUNCED_ADDRESS', []);
  return [...new Set([...ipv4List(env, 'ICE_ADDITIONAL_HOST_ADDRESSES', ['127.0.0.1']), ...announced])];
}
