/**
 * Max-bundle offerers (GStreamer's webrtcbin among them) mark every m-section but the first of
 * a BUNDLE group `a=bundle-only` with port 0 (RFC 8843 section 7.2.1). werift reads port 0 as a
 * rejected m-section and answers it inactive, so its media never arrives. Giving such a
 * section the placeholder port 9 makes werift accept it on the group's shared transport.
 */
export function acceptBundleOnly(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(eol);
  const bundled = bundledMids(lines);
  if (bundled.size === 0) return sdp;
  const sections = mediaSectionStarts(lines);
  for (const [index, start] of sections.entries()) {
    const end = sections[index + 1] ?? lines.length;
    const attributes = lines.slice(start + 1, end);
    const mid = attributes.find((line) => line.startsWith('a=mid:'))?.slice('a=mid:'.length).trim();
    if (mid === undefined || !bundled.has(mid)) continue;
    if (!attributes.some((line) => line.trim() === 'a=bundle-only')) continue;
    lines[start] = withPortNineIfZero(lines[start] as string);
  }
  return lines.join(eol);
}

/** The mids of every `a=group:BUNDLE` line of the session part. */
function bundledMids(lines: string[]): Set<string> {
  const mids = new Set<string>();
  for (const line of lines) {
    if (line.startsWith('m=')) break;
    if (!line.startsWith('a=group:BUNDLE')) continue;
    for (const mid of line.slice('a=group:BUNDLE'.length).trim().split(/\s+/)) {
      if (mid) mids.add(mid);
    }
  }
  return mids;
}

function mediaSectionStarts(lines: string[]): number[] {
  return lines.flatMap((line, index) => (line.startsWith('m=') ? [index] : []));
}

/** `m=<media> 0 <proto> <fmt>...` -> `m=<media> 9 <proto> <fmt>...`; any other port stays. */
function withPortNineIfZero(mediaLine: string): string {
  return mediaLine.replace(/^(m=\S+ )0(\/\d+)?( )/, '$19$2$3');
}
