/** Reading one environment variable each: the value or a ConfigError naming the variable. */

import { isIP } from 'node:net';
import { ConfigError } from './errors';

export type Env = Record<string, string | undefined>;

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw new ConfigError(`${name} must be a whole number between ${min} and ${max}, got "${raw}"`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** A number with optional decimals in [min, max], or undefined when unset or empty. */
export function optionalDecimal(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^(\d+\.?\d*|\.\d+)$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number between ${min} and ${max} (decimals allowed), got "${raw}"`);
  }
  return value;
}

export function list(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined) return fallback;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function ipv4List(env: Env, name: string, fallback: string[]): string[] {
  const addresses = list(env, name, fallback);
  for (const address of addresses) {
    const match = IPV4.exec(address);
    if (!match || match.slice(1).some((octet) => Number(octet) > 255)) {
      throw new ConfigError(`${name} must be a comma-separated list of IPv4 addresses, got "${address}"`);
    }
  }
  return addresses;
}

export function httpUrl(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http:// or https:// URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http:// or https:// URL, got "${raw}"`);
  }
  return url.toString();
}

export function optionalSecret(env: Env, name: string): string | undefined {
  const secret = env[name];
  if (secret === undefined || secret === '') return undefined;
  if (secret.length < 16) throw new ConfigError(`${name} must be at least 16 characters`);
  return secret;
}

/**
 * A webhook secret: any 16+ characters, used as they are; or, the Standard Webhooks form,
 * `whsec_` then the key in base64 (at least 16 bytes of key).
 */
export function webhookSecret(env: Env, name: string): string | undefined {
  const secret = optionalSecret(env, name);
  if (secret === undefined || !secret.startsWith('whsec_')) return secret;
  const encoded = secret.slice('whsec_'.length);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded) || Buffer.from(encoded, 'base64').length < 16) {
    throw new ConfigError(`${name} starting with whsec_ must continue with a key of at least 16 bytes in base64`);
  }
  return secret;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Express's trust-proxy setting (https://expressjs.com/en/guide/behind-proxies.html): a hop
 * count (1 = the proxy in front of this server), or a list of the names loopback, linklocal,
 * uniquelocal and addresses or subnets (10.0.0.0/8, fd00::/8). `true`, and a subnet of prefix 0,
 * trust whatever X-Forwarded-For a client sends, so anyone could pick the address its rate
 * limits are keyed by: they are refused. Unset or empty: undefined (the socket's address).
 */
export function trustProxy(env: Env, name: string): number | string[] | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/^(true|false)$/i.test(raw)) {
    throw new ConfigError(`${name} must be a hop count or a list of proxy addresses, not "${raw}": true would let any client choose the address its rate limits are keyed by (leave it unset for no proxy)`);
  }
  if (/^\d+$/.test(raw)) return integer(env, name, 0, 1, 100);
  const entries = list(env, name, []);
  for (const entry of entries) {
    if (PROXY_NAMES.includes(entry)) continue;
    const [address, prefix, ...rest] = entry.split('/');
    // IPv6 with an embedded IPv4 part or a zone: node:net takes them, Express's parser does not.
    const family = /[.%]/.test(address ?? '') && address!.includes(':') ? 0 : isIP(address ?? '');
    const bits = family === 4 ? 32 : 128;
    if (family === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits))) {
      throw new ConfigError(`${name} must be a hop count or a comma-separated list of ${PROXY_NAMES.join(', ')}, addresses and subnets (10.0.0.0/8), got "${entry}"`);
    }
    if (prefix !== undefined && Number(prefix) === 0) {
      throw new ConfigError(`${name} must not trust every address ("${entry}"): any client could choose the address its rate limits are keyed by`);
    }
  }
  return entries;
}
