import { createHmac } from 'node:crypto';

/** The prefix of a Standard Webhooks secret: what follows it is the key, base64. */
const SECRET_PREFIX = 'whsec_';

/**
 * The HMAC key of a webhook secret: a `whsec_<base64>` secret (the Standard Webhooks form) is the
 * key base64-encoded; any other secret is used as it is, its UTF-8 bytes (so secrets set before
 * the convention keep working).
 */
export function webhookSigningKey(secret: string): Buffer {
  return secret.startsWith(SECRET_PREFIX) ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * The signature headers of one attempt: Standard Webhooks' `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by webhookSigningKey) and,
 * deprecated, `X-Signature-256` (`sha256=<hex HMAC-SHA256 of the body>`, keyed by the secret's
 * UTF-8 bytes, exactly as before the convention, whatever its form).
 */
export function signatureHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  const signature = createHmac('sha256', webhookSigningKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  const legacy = createHmac('sha256', secret).update(body).digest('hex');
  return { 'webhook-signature': `v1,${signature}`, 'X-Signature-256': `sha256=${legacy}` };
}
