import { createHash } from 'node:crypto';
import { parseCandidate, refusedCandidateAddress, usableByServer, type ParsedCandidate } from './remoteCandidates';
import { IceFragmentError } from '../errors';

/**
 * SDP fragments of trickle ICE (`application/trickle-ice-sdpfrag`, RFC 8840 section 9) as WHIP
 * uses them (RFC 9725 section 4.3): a client PATCHes its ICE credentials and candidates, and an
 * ICE restart is answered with ours. Text only: nothing here touches a connection.
 */
export const ICE_FRAGMENT_TYPE = 'application/trickle-ice-sdpfrag';

export interface IceCredentials {
  ufrag: string;
  pwd: string;
}

export interface FragmentCandidate {
  /** The `a=mid` of the m-section it came in, or null for one before any m-section. */
  mid: string | null;
  /** The attribute's value, `candidate:...`. */
  candidate: string;
  parsed: ParsedCandidate;
}

export interface IceFragment {
  ufrag: string | null;
  pwd: string | null;
  /** The candidates this server can use: UDP over IPv4 (RFC 9725: others are silently discarded). */
  candidates: FragmentCandidate[];
  /** Candidates that were well formed but of a transport or address family this server does not use. */
  discarded: number;
  /**
   * Candidates no check may ever go to (refusedCandidateAddress: mDNS names, unspecified,
   * multicast, broadcast addresses): dropped like the discarded ones, but counted as refusals.
   */
  refused: number;
  endOfCandidates: boolean;
  /** The mid of the fragment's first m-section, if it has one. */
  firstMid: string | null;
}

const SDP_LINE = /^([a-z])=(.*)$/;
const ICE_CHAR = /^[A-Za-z0-9+/]+$/;

/** Parses a PATCH body; throws IceFragmentError for anything that is not a well-formed fragment. */
export function parseIceFragment(text: string): IceFragment {
  const fragment: IceFragment = { ufrag: null, pwd: null, candidates: [], discarded: 0, refused: 0, endOfCandidates: false, firstMid: null };
  let mid: string | null = null;
  let inMedia = false;
  let lines = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    lines += 1;
    const where = `line ${index + 1}`;
    const parsed = SDP_LINE.exec(line);
    if (!parsed) throw new IceFragmentError(`${where} is not an SDP line: ${JSON.stringify(line.slice(0, 80))}`);
    const [, type, value] = parsed as unknown as [string, string, string];
    if (type === 'm') {
      inMedia = true;
      mid = null;
      return;
    }
    if (type !== 'a') return;
    const colon = value.indexOf(':');
    const name = colon < 0 ? value : value.slice(0, colon);
    const argument = colon < 0 ? '' : value.slice(colon + 1);
    switch (name) {
      case 'mid':
        mid = argument;
        if (inMedia && fragment.firstMid === null) fragment.firstMid = argument;
        return;
      case 'ice-ufrag':
      case 'ice-pwd':
        return setCredential(fragment, name === 'ice-ufrag' ? 'ufrag' : 'pwd', argument, where);
      case 'candidate': {
        const parsed = parseCandidate(value);
        if (!parsed) throw new IceFragmentError(`${where} is not a valid ICE candidate: ${JSON.stringify(line.slice(0, 120))}`);
        if (refusedCandidateAddress(parsed.address, parsed.port) !== undefined) fragment.refused += 1;
        else if (usableByServer(parsed)) fragment.candidates.push({ mid, candidate: value, parsed });
        else fragment.discarded += 1;
        return;
      }
      case 'end-of-candidates':
        fragment.endOfCandidates = true;
        return;
      default:
        // a=group, a=ice-options, a=ice-lite and the like: nothing to do with them here.
        return;
    }
  });
  if (lines === 0) throw new IceFragmentError('the fragment is empty');
  if (fragment.pwd !== null && fragment.ufrag === null) throw new IceFragmentError('the fragment has ice-pwd without ice-ufrag');
  return fragment;
}

function setCredential(fragment: IceFragment, key: 'ufrag' | 'pwd', value: string, where: string): void {
  // RFC 8839 section 5.4: ice-char, 4 to 256 characters for the ufrag, 22 to 256 for the password.
  const [min, max] = key === 'ufrag' ? [4, 256] : [22, 256];
  if (value.length < min || value.length > max || !ICE_CHAR.test(value)) {
    throw new IceFragmentError(`${where}: ice-${key} must be ${min} to ${max} ICE characters`);
  }
  const current = fragment[key];
  if (current !== null && current !== value) throw new IceFragmentError(`${where}: a second, different ice-${key} (one ICE session per fragment)`);
  fragment[key] = value;
}

/** The ICE credentials of an SDP: those of its first m-section, or of its session part. */
export function iceCredentials(sdp: string): IceCredentials | null {
  const sections = sdpSections(sdp);
  const media = sections.slice(1).find((section) => !/^m=\S+ 0 /.test(section[0] ?? ''));
  for (const lines of [media ?? [], sections[0]!]) {
    const ufrag = attribute(lines, 'ice-ufrag');
    const pwd = attribute(lines, 'ice-pwd');
    if (ufrag !== null && pwd !== null) return { ufrag, pwd };
  }
  return null;
}

/**
 * The entity-tag naming the ICE session of our description (RFC 9725 section 4.3.1): a strong
 * tag derived from its credentials, which an ICE restart changes. Nothing needs storing, and
 * the password does not show.
 */
export function iceEntityTag(localSdp: string): string {
  const credentials = iceCredentials(localSdp);
  if (!credentials) throw new Error('the description has no ICE credentials');
  const digest = createHash('sha256').update(`${credentials.ufrag}:${credentials.pwd}`).digest('base64url').slice(0, 22);
  return `"${digest}"`;
}

/**
 * Whether an If-Match field value (RFC 9110 section 13.1.1) matches the current tag: `*`, or a
 * list holding it (strong comparison: a weak tag never matches).
 */
export function ifMatchAccepts(ifMatch: string, currentTag: string): boolean {
  const value = ifMatch.trim();
  if (value === '*') return true;
  return value.split(',').some((tag) => tag.trim() === currentTag);
}

/**
 * A description with the ICE session of a fragment: the new credentials, and the fragment's
 * candidates in place of the old ones. For an ICE restart the server makes the offer the
 * client would have sent (its previous one, new ICE); a client makes the answer likewise.
 */
export function withNewIce(previous: string, fragment: IceFragment & { ufrag: string; pwd: string }): string {
  const eol = previous.includes('\r\n') ? '\r\n' : '\n';
  const sections = sdpSections(previous).map((lines) =>
    lines
      .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
      .map((line) => {
        if (line.startsWith('a=ice-ufrag:')) return `a=ice-ufrag:${fragment.ufrag}`;
        if (line.startsWith('a=ice-pwd:')) return `a=ice-pwd:${fragment.pwd}`;
        return line;
      }),
  );
  const media = sections.slice(1);
  const target = media.find((lines) => fragment.firstMid !== null && attribute(lines, 'mid') === fragment.firstMid) ?? media.find((lines) => !/^m=\S+ 0 /.test(lines[0] ?? ''));
  if (target) {
    target.push(...fragment.candidates.map(({ candidate }) => `a=${candidate}`));
    if (fragment.endOfCandidates) target.push('a=end-of-candidates');
  }
  return sections.flat().join(eol) + eol;
}

/**
 * The ICE session of a description as a fragment (RFC 9725 section 4.3): the bundle group, the
 * first m-section's line and mid, the credentials and every candidate. The server answers an
 * ICE restart with its answer's; a client sends its new offer's.
 */
export function iceFragmentOf(sdp: string): string {
  const sections = sdpSections(sdp);
  const session = sections[0]!;
  const media = sections.slice(1).find((lines) => !/^m=\S+ 0 /.test(lines[0] ?? ''));
  const credentials = iceCredentials(sdp);
  if (!media || !credentials) throw new Error('the description has no ICE session to describe');
  const lines = [
    ...session.filter((line) => line.startsWith('a=ice-lite') || line.startsWith('a=ice-options:') || line.startsWith('a=group:BUNDLE')),
    media[0]!,
    ...media.filter((line) => line.startsWith('a=mid:') || line.startsWith('a=ice-options:')),
    `a=ice-ufrag:${credentials.ufrag}`,
    `a=ice-pwd:${credentials.pwd}`,
    ...media.filter((line) => line.startsWith('a=candidate:')),
    'a=end-of-candidates',
  ];
  return lines.join('\r\n') + '\r\n';
}

/** An SDP's lines, cut into its session part and one list per m-section. */
function sdpSections(sdp: string): string[][] {
  const sections: string[][] = [[]];
  for (const line of sdp.split(/\r?\n/)) {
    if (line === '') continue;
    if (line.startsWith('m=')) sections.push([]);
    sections[sections.length - 1]!.push(line);
  }
  return sections;
}

function attribute(lines: string[], name: string): string | null {
  const prefix = `a=${name}:`;
  const line = lines.find((candidate) => candidate.startsWith(prefix));
  return line === undefined ? null : line.slice(prefix.length).trim();
}
