/**
 * The credentials (src/http/auth/credentials.ts) and their settings: static tokens, JWTs with
 * one pinned algorithm per key, the claims, and a property that no Authorization header, however
 * broken, is anything but an identity or a 401 (on the function and through the real server).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SignJWT, base64url } from 'jose';
import { credentialSettings } from '../../src/config/credentialSettings';
import { createCredentials, staticSubject, type Credentials } from '../../src/http/auth/credentials';
import { isLoopbackHost, openModeWarning } from '../../src/http/auth/openMode';
import { isError } from '../../src/errors';
import { startTestServer, type TestServer } from '../helpers/testServer';

const ADMIN = 'admin-token-0123456789abcdef';
const PUBLISH = 'publish-token-0123456789abcdef';
const SECRET = 'a-jwt-secret-of-at-least-32-bytes-0123456789';
const now = () => Math.floor(Date.now() / 1000);
const dir = mkdtempSync(join(tmpdir(), 'jwt-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyFile(type: 'rsa' | 'ec' | 'ed25519') {
  const options = type === 'rsa' ? { modulusLength: 2048 } : type === 'ec' ? { namedCurve: 'prime256v1' } : {};
  const { publicKey, privateKey } = generateKeyPairSync(type as 'rsa', options as { modulusLength: number });
  const file = join(dir, `${type}.pem`);
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  writeFileSync(file, pem);
  return { file, pem, privateKey };
}

async function refusal(credentials: Credentials, header: string | undefined): Promise<string> {
  try {
    await credentials.identify(header);
  } catch (error) {
    if (isError(error, 'HttpProblem') && error.status === 401) return error.detail;
    throw error;
  }
  throw new Error(`accepted ${header}`);
}

describe('settings', () => {
  it('refuses a short JWT secret, both kinds of key, a publish token equal to the admin token, and a key of another type', () => {
    expect(() => credentialSettings({ JWT_SECRET: 'short' }, undefined)).toThrow(/at least 32 bytes/);
    expect(() => credentialSettings({ JWT_SECRET: SECRET, JWT_PUBLIC_KEY_FILE: '/x.pem' }, undefined)).toThrow(/not both/);
    expect(() => credentialSettings({ PUBLISH_TOKEN: ADMIN }, ADMIN)).toThrow(/must differ/);
    expect(() => credentialSettings({ PUBLISH_TOKEN: 'short' }, undefined)).toThrow(/at least 16/);
    expect(() => credentialSettings({ JWT_PUBLIC_KEY_FILE: join(dir, 'missing.pem') }, undefined)).toThrow(/cannot be read/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    writeFileSync(join(dir, 'small.pem'), small);
    expect(() => credentialSettings({ JWT_PUBLIC_KEY_FILE: join(dir, 'small.pem') }, undefined)).toThrow(/2048 bits/);
  });

  it('warns of an open server beyond loopback only', () => {
    const none = { publishToken: undefined, jwt: undefined };
    expect(openModeWarning({ host: '0.0.0.0', authToken: undefined, credentials: none })).toMatch(/NO AUTHENTICATION/);
    expect(openModeWarning({ host: '::', authToken: undefined, credentials: none })).toMatch(/NO AUTHENTICATION/);
    expect(openModeWarning({ host: '127.0.0.1', authToken: undefined, credentials: none })).toBeNull();
    expect(openModeWarning({ host: '0.0.0.0', authToken: undefined, credentials: { publishToken: PUBLISH, jwt: undefined } })).toBeNull();
    expect(['localhost', '::1', '127.1.2.3', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.org'].some(isLoopbackHost)).toBe(false);
  });
});

describe('identify', () => {
  const hmac = createCredentials(ADMIN, { publishToken: PUBLISH, jwt: { algorithm: 'HS256', secret: SECRET } });
  const sign = (claims: Record<string, unknown>, exp = now() + 60) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(new TextEncoder().encode(SECRET));

  it('knows the static tokens by a subject that is not the token', async () => {
    expect(await hmac.identify(`Bearer ${ADMIN}`)).toEqual({ role: 'admin', subject: staticSubject(ADMIN) });
    expect(await hmac.identify(`bearer  ${PUBLISH}`)).toEqual({ role: 'publish', subject: staticSubject(PUBLISH) });
    expect(staticSubject(PUBLISH)).not.toContain(PUBLISH.slice(0, 8));
    expect(await refusal(hmac, `Bearer ${PUBLISH}x`)).toMatch(/not valid/);
  });

  it('reads session_name as the label of the sessions a JWT creates; refuses one that is empty, too long, not a string or holds control characters', async () => {
    expect(await hmac.identify(`Bearer ${await sign({ role: 'publish', sub: 'alice', session_name: 'Front door cam' })}`)).toEqual({
      role: 'publish',
      subject: 'jwt:alice',
      sessionName: 'Front door cam',
    });
    for (const name of ['', 'x'.repeat(129), 42, 'line\nbreak', 'bell\u0007', 'bidi\u202e', 'sep\u2028']) {
      expect(await refusal(hmac, `Bearer ${await sign({ role: 'publish', sub: 'a', session_name: name })}`)).toMatch(/session_name/);
    }
    expect((await hmac.identify(`Bearer ${await sign({ role: 'publish', sub: 'a', session_name: 'é'.repeat(128) })}`)).sessionName).toHaveLength(128);
  });

  it('reads role, sub and max_duration; refuses a missing or unknown role, no sub, a bad max_duration', async () => {
    expect(await hmac.identify(`Bearer ${await sign({ role: 'publish', sub: 'alice', max_duration: 90 })}`)).toEqual({ role: 'publish', subject: 'jwt:alice', maxSessionMs: 90_000 });
    for (const claims of [{ sub: 'a' }, { role: 'root', sub: 'a' }, { role: 'admin' }, { role: 'admin', sub: '' }, { role: 'publish', sub: 'a', max_duration: 0 }, { role: 'publish', sub: 'a', max_duration: 1.5 }, { role: 'publish', sub: 'a', max_duration: '60' }]) {
      expect(await refusal(hmac, `Bearer ${await sign(claims)}`)).toMatch(/JWT/);
    }
    const noExp = await new SignJWT({ role: 'admin', sub: 'a' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect(await refusal(hmac, `Bearer ${noExp}`)).toMatch(/not valid/);
  });

  it('allows a few seconds of clock skew on exp, not more', async () => {
    expect((await hmac.identify(`Bearer ${await sign({ role: 'admin', sub: 'a' }, now() - 2)}`)).role).toBe('admin');
    expect(await refusal(hmac, `Bearer ${await sign({ role: 'admin', sub: 'a' }, now() - 30)}`)).toMatch(/expired/);
  });

  it.each(['rsa', 'ec', 'ed25519'] as const)('accepts a %s key with its one algorithm and refuses an HMAC token made with the public key (alg confusion) or none', async (type) => {
    const { file, pem, privateKey } = keyFile(type);
    const settings = credentialSettings({ JWT_PUBLIC_KEY_FILE: file }, undefined);
    const alg = { rsa: 'RS256', ec: 'ES256', ed25519: 'EdDSA' }[type];
    expect(settings.jwt?.algorithm).toBe(alg);
    const credentials = createCredentials(undefined, settings);
    const good = await new SignJWT({ role: 'publish', sub: 'p' }).setProtectedHeader({ alg }).setExpirationTime(now() + 60).sign(privateKey);
    expect(await credentials.identify(`Bearer ${good}`)).toEqual({ role: 'publish', subject: 'jwt:p' });
    const confused = await new SignJWT({ role: 'admin', sub: 'p' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now() + 60).sign(new TextEncoder().encode(pem));
    expect(await refusal(credentials, `Bearer ${confused}`)).toMatch(/not valid/);
    const part = (value: object) => base64url.encode(JSON.stringify(value));
    expect(await refusal(credentials, `Bearer ${part({ alg: 'none' })}.${part({ role: 'admin', sub: 'p', exp: now() + 60 })}.`)).toMatch(/not valid/);
  });

  it('property: any header is an identity or a 401, never another error', async () => {
    const segment = fc.oneof(fc.base64String(), fc.string(), fc.constant(base64url.encode('{"alg":"HS256"}')), fc.constant(base64url.encode('{"alg":"none"}')), fc.constant(base64url.encode('{"role":"admin","sub":"x","exp":9999999999}')));
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(fc.constantFrom('Bearer ', 'bearer ', 'Bearer', 'Basic ', 'Bearer  '), fc.array(segment, { maxLength: 5 }).map((parts) => parts.join('.'))).map(([scheme, token]) => scheme + token),
    );
    await fc.assert(
      fc.asyncProperty(fc.option(header, { nil: undefined }), async (value) => {
        try {
          const identity = await hmac.identify(value);
          expect(identity.role).toMatch(/^(admin|publish)$/);
        } catch (error) {
          expect(isError(error, 'HttpProblem') && error.status === 401).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('on the network path', () => {
  let server: TestServer;
  afterAll(async () => server?.close());

  it('logs the open-mode warning when a server without credentials listens beyond loopback', async () => {
    const open = await startTestServer({ host: '0.0.0.0' });
    const warned = open.logs.filter((entry) => /NO AUTHENTICATION/.test(String(entry.message)));
    await open.close();
    expect(warned.map((entry) => entry.level)).toEqual(['warn']);
    const closed = await startTestServer({ host: '0.0.0.0', authToken: ADMIN });
    const quiet = closed.logs.some((entry) => /NO AUTHENTICATION/.test(String(entry.message)));
    await closed.close();
    expect(quiet).toBe(false);
  });

  it('property: garbage Authorization headers get 401 problem+json, never a 500', async () => {
    server = await startTestServer({ authToken: ADMIN, credentials: { publishToken: PUBLISH, jwt: { algorithm: 'HS256', secret: SECRET } } });
    // What fetch lets through as a header value: visible ASCII and spaces.
    const printable = fc.string({ unit: fc.integer({ min: 32, max: 126 }).map((code) => String.fromCharCode(code)), maxLength: 300 });
    const header = fc.oneof(printable, printable.map((token) => `Bearer ${token}`), fc.array(fc.base64String({ maxLength: 80 }), { minLength: 3, maxLength: 3 }).map((parts) => `Bearer ${parts.join('.')}`));
    await fc.assert(
      fc.asyncProperty(header, fc.constantFrom('/sessions', '/readyz', '/whip/0b8e4c1e-9d1f-4a39-9d55-2f6f7d0c1a11'), async (value, path) => {
        const response = await fetch(server.url + path, { headers: { authorization: value } });
        expect(response.status).toBe(401);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        await response.arrayBuffer();
      }),
      { numRuns: 80 },
    );
  });
});
