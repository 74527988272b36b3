/**
 * The page's credential comes in the URL fragment (`/#token=<token>`): browsers never send a
 * fragment to the server (not in the request line, not in Referer), so the token stays out of
 * the server's request and refusal logs and out of any proxy's access log.
 */

/** What a bearer token may hold: visible ASCII (RFC 6750's b64token, a JWT, a random hex string). */
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;
/** Longer than any credential this server issues or verifies; a longer one is a paste mistake. */
export const MAX_TOKEN_LENGTH = 8192;

export interface FragmentToken {
  /** The token, or null when the fragment holds none (or an unusable one: see `problem`). */
  token: string | null;
  /** The fragment without the token part (no leading '#'), to put back in the address bar. */
  rest: string;
  /** Why a `token=` part was there but not used. */
  problem: string | null;
}

/** Whether `token` can be sent as `Authorization: Bearer <token>`; the reason when not. */
export function tokenProblem(token: string): string | null {
  if (token.length === 0) return 'the token is empty';
  if (token.length > MAX_TOKEN_LENGTH) return `the token is longer than ${MAX_TOKEN_LENGTH} characters`;
  if (!TOKEN_CHARACTERS.test(token)) return 'the token holds spaces or characters other than visible ASCII';
  return null;
}

/**
 * Reads `token=<percent-encoded token>` out of a fragment such as `location.hash`
 * (`#token=abc&x=1`). Every `token=` part is taken out of `rest`, so none is left in the address
 * bar; the first one is the token. `+` is kept as it is (base64 tokens hold it).
 */
export function tokenFromFragment(hash: string): FragmentToken {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const kept: string[] = [];
  let found: string | null = null;
  for (const part of fragment.split('&')) {
    if (part.startsWith('token=')) found ??= part.slice('token='.length);
    else if (part !== '') kept.push(part);
  }
  const rest = kept.join('&');
  if (found === null) return { token: null, rest, problem: null };
  let token: string;
  try {
    token = decodeURIComponent(found);
  } catch {
    return { token: null, rest, problem: 'the token in the address is not validly percent-encoded' };
  }
  const problem = tokenProblem(token);
  return problem ? { token: null, rest, problem } : { token, rest, problem: null };
}
