/** Reading one environment variable each: the value or a ConfigError naming the variable. */

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
