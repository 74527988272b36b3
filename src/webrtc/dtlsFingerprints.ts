/**
 * The DTLS fingerprints of an SDP description (RFC 8122 section 5, RFC 8842 section 5), read as
 * werift reads them, so that a check of them sees what werift will verify the peer's certificate
 * against: lines split on CRLF (LF when there is no CRLF), `a=fingerprint:` at the start of a line,
 * session- or media-level, the value split on single spaces into hash function and fingerprint.
 * Each is normalised the way werift compares them: the hash function trimmed and lower-cased, the
 * fingerprint's hex digits only, lower-cased. Returns the distinct ones, sorted.
 */
export function dtlsFingerprints(sdp: string): string[] {
  let lines = sdp.split('\r\n');
  if (lines.length === 1) lines = sdp.split('\n');
  const found = new Set<string>();
  for (const line of lines) {
    if (!line.startsWith('a=fingerprint:')) continue;
    const [algorithm = '', value = ''] = line.slice('a=fingerprint:'.length).split(' ');
    found.add(`${algorithm.trim().toLowerCase()} ${value.replace(/[^0-9a-f]/gi, '').toLowerCase()}`);
  }
  return [...found].sort();
}

/** Whether two sets of fingerprints (as dtlsFingerprints returns them) are the same. */
export function sameFingerprints(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((fingerprint, index) => fingerprint === b[index]);
}
