import { isIP } from 'node:net';
import type { HttpSettings } from '../../config/httpSettings';

/** Whether a listening address is reachable from this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return /^::ffff:127\./.test(bare);
}

/**
 * The warning a server with no credential gives when it listens beyond this machine: every
 * caller there is admin (may list, read and end every session). Null when there is no need.
 */
export function openModeWarning(http: Pick<HttpSettings, 'host' | 'authToken' | 'credentials'>): string | null {
  const { publishToken, jwt } = http.credentials;
  if (http.authToken || publishToken || jwt || isLoopbackHost(http.host)) return null;
  return `NO AUTHENTICATION: HOST=${http.host} is not a loopback address and no AUTH_TOKEN, PUBLISH_TOKEN, JWT_SECRET or JWT_PUBLIC_KEY_FILE is set, so anyone who reaches this port may list, read and end every session`;
}
