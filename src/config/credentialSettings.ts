import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import type { Env } from '../configValues';
import { ConfigError } from '../errors';

/** The algorithm a JWT must be signed with: one, fixed by the key configured (no `none`, no confusion). */
export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'EdDSA';

/** How JWTs are verified: an HMAC secret, or a public key (PEM) and the one algorithm its type allows. */
export type JwtVerification = { algorithm: 'HS256'; secret: string } | { algorithm: Exclude<JwtAlgorithm, 'HS256'>; publicKeyPem: string };

/** The credentials besides AUTH_TOKEN (http.authToken): a publish-only token and signed JWTs. */
export interface CredentialSettings {
  /** PUBLISH_TOKEN: a static bearer token that may create sessions and use its own ones only. */
  publishToken: string | undefined;
  /** JWT_SECRET or JWT_PUBLIC_KEY_FILE; undefined when JWTs are not accepted. */
  jwt: JwtVerification | undefined;
}

const MIN_JWT_SECRET_BYTES = 32;

export function credentialSettings(env: Env, authToken: string | undefined): CredentialSettings {
  const publishToken = staticToken(env, 'PUBLISH_TOKEN');
  if (publishToken !== undefined && publishToken === authToken) {
    throw new ConfigError('PUBLISH_TOKEN must differ from AUTH_TOKEN (one token, one role)');
  }
  return { publishToken, jwt: jwtVerification(env) };
}

function staticToken(env: Env, name: string): string | undefined {
  const token = env[name];
  if (token === undefined || token === '') return undefined;
  if (token.length < 16 || /\s/.test(token)) throw new ConfigError(`${name} must be at least 16 characters without spaces`);
  return token;
}

function jwtVerification(env: Env): JwtVerification | undefined {
  const secret = env.JWT_SECRET || undefined;
  const keyFile = env.JWT_PUBLIC_KEY_FILE?.trim() || undefined;
  if (secret && keyFile) throw new ConfigError('set JWT_SECRET or JWT_PUBLIC_KEY_FILE, not both');
  if (secret) {
    if (Buffer.byteLength(secret) < MIN_JWT_SECRET_BYTES) throw new ConfigError(`JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes`);
    return { algorithm: 'HS256', secret };
  }
  if (!keyFile) return undefined;
  let publicKeyPem: string;
  try {
    publicKeyPem = readFileSync(keyFile, 'utf8');
  } catch (error) {
    throw new ConfigError(`JWT_PUBLIC_KEY_FILE "${keyFile}" cannot be read: ${(error as Error).message}`);
  }
  return { algorithm: algorithmOf(publicKeyPem, keyFile), publicKeyPem };
}

/** The one algorithm a public key is used with: RSA keys RS256, P-256 keys ES256, Ed25519 keys EdDSA. */
function algorithmOf(pem: string, file: string): Exclude<JwtAlgorithm, 'HS256'> {
  let key;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new ConfigError(`JWT_PUBLIC_KEY_FILE "${file}" is not a PEM public key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  throw new ConfigError(`JWT_PUBLIC_KEY_FILE "${file}" must hold an RSA (2048 bits or more), P-256 or Ed25519 public key`);
}
