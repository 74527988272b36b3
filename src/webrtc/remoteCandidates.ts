/**
 * Remote ICE candidates as this server takes them, from an offer or a trickled fragment alike.
 * Each candidate werift takes becomes connectivity checks (STUN requests, retransmitted) sent
 * to the address it names, whoever that is: so an address is checked before werift sees it,
 * and each session may name a bounded number of them (MAX_REMOTE_CANDIDATES).
 */

export interface ParsedCandidate {
  foundation: string;
  component: number;
  /** Lower case: `udp`, `tcp`. */
  transport: string;
  address: string;
  port: number;
  type: string;
}

/** foundation component transport priority address port "typ" type [extensions] (RFC 8839 section 5.1), single spaces as werift splits it. */
const CANDIDATE = /^candidate:(\S{1,32}) (\d{1,3}) (\S+) (\d{1,10}) (\S+) (\d{1,5}) typ (host|srflx|prflx|relay)(?: .*)?$/i;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

/** An `a=candidate` attribute's value (`candidate:...`), or null for one that is not well formed. */
export function parseCandidate(value: string): ParsedCandidate | null {
  const match = CANDIDATE.exec(value);
  if (!match) return null;
  return { foundation: match[1]!, component: Number(match[2]), transport: match[3]!.toLowerCase(), address: match[5]!, port: Number(match[6]), type: match[7]!.toLowerCase() };
}

/**
 * Why no check may ever go to this address, or undefined. An mDNS name would make werift send
 * multicast queries on the machine's real interfaces and wait for any answer; unspecified,
 * multicast, broadcast and reserved (240/4) addresses, and port 0, reach no peer and would only
 * spray the local network. (A subnet's directed broadcast address cannot be told from its
 * text; the cap on candidates bounds it with the rest.)
 */
export function refusedCandidateAddress(address: string, port: number): string | undefined {
  const host = address.toLowerCase();
  if (host.endsWith('.local') || host.includes('.local.') || host.endsWith('.local.')) return 'an mDNS name (never resolved)';
  if (port === 0) return 'port 0';
  if (IPV4.test(host)) {
    const first = Number(host.split('.')[0]);
    if (first === 0) return 'an unspecified address (0.0.0.0/8)';
    if (first >= 224 && first <= 239) return 'a multicast address';
    if (host === '255.255.255.255') return 'the broadcast address';
    if (first >= 240) return 'a reserved address (240.0.0.0/4)';
    return undefined;
  }
  if (/^[0:]+$/.test(host) || host === '::') return 'an unspecified address (::)';
  if (host.startsWith('ff')) return 'a multicast address';
  return undefined;
}

/** A candidate this server can pair: UDP over IPv4 (werift here gathers no IPv6 and no TCP). */
export function usableByServer(candidate: ParsedCandidate): boolean {
  return candidate.transport === 'udp' && IPV4.test(candidate.address);
}

export type Admission = 'added' | 'duplicate' | 'over_cap' | 'silent';

/**
 * One session's remote candidates: distinct transport addresses (UDP address and port) over
 * offers, renegotiations and trickled fragments together, at most `max` of them in the
 * session's life. An address given again is not counted again (a renegotiation repeats its
 * offer's candidates; an ICE restart may keep them), but within one ICE session (one remote
 * ufrag) a repeat is a duplicate werift would pair again, and is dropped.
 */
export class RemoteCandidateBudget {
  private readonly known = new Set<string>();
  private current = new Set<string>();
  /** Addresses that never answered a check of an earlier ICE session: never checked again. */
  private readonly silent = new Set<string>();
  private iceSession: string | null = null;

  constructor(readonly max: number) {}

  /** The remote ufrag of the ICE session candidates were last admitted for (null before any). */
  get currentIceSession(): string | null {
    return this.iceSession;
  }

  /**
   * An address every check to which went unanswered: a later ICE session of the session will
   * not check it again, so the STUN requests to an address that never answers are bounded over
   * the session's life, not once per ICE restart.
   */
  markSilent(address: string, port: number): void {
    this.silent.add(`${address} ${port}`);
  }

  /** How many distinct addresses the session has named. */
  get size(): number {
    return this.known.size;
  }

  admit(candidate: ParsedCandidate, remoteUfrag: string | null): Admission {
    if (remoteUfrag !== this.iceSession) {
      this.iceSession = remoteUfrag;
      this.current = new Set();
    }
    const key = `${candidate.transport} ${candidate.address} ${candidate.port} ${candidate.component}`;
    if (this.current.has(key)) return 'duplicate';
    if (this.silent.has(`${candidate.address} ${candidate.port}`)) return 'silent';
    if (!this.known.has(key) && this.known.size >= this.max) return 'over_cap';
    this.known.add(key);
    this.current.add(key);
    return 'added';
  }
}

/** What became of a batch of candidates (an offer's, a fragment's). */
export interface CandidateTally {
  added: number;
  /** Not usable here (TCP, IPv6): dropped as RFC 9725 wants of a fragment, not a refusal. */
  discarded: number;
  /** refusedCandidateAddress, or not well formed (an offer's line werift might read its own way). */
  refused: number;
  /** Beyond the session's MAX_REMOTE_CANDIDATES. */
  overCap: number;
  /** Of an address that never answered a check in an earlier ICE session. */
  silent: number;
  /** Given already in this ICE session. */
  duplicates: number;
}

export function emptyTally(): CandidateTally {
  return { added: 0, discarded: 0, refused: 0, overCap: 0, duplicates: 0, silent: 0 };
}

/**
 * The offer with only the candidates the budget admits: each `a=candidate` line is kept if it is
 * well formed, UDP over IPv4, of an address not refused, not a repeat within the ICE session of
 * `remoteUfrag`, and within the session's cap. Lines are split as werift splits them (CRLF, or
 * LF when there is no CRLF); the offer's lines were checked before (sdpLineProblem).
 */
export function admitOfferCandidates(sdp: string, budget: RemoteCandidateBudget, remoteUfrag: string | null): { sdp: string; tally: CandidateTally } {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const tally = emptyTally();
  const kept = sdp.split(eol).filter((line) => {
    if (!line.startsWith('a=candidate:')) return true;
    const parsed = parseCandidate(line.slice(2));
    if (!parsed || refusedCandidateAddress(parsed.address, parsed.port) !== undefined) tally.refused += 1;
    else if (!usableByServer(parsed)) tally.discarded += 1;
    else return admitInto(tally, budget.admit(parsed, remoteUfrag));
    return false;
  });
  return { sdp: kept.join(eol), tally };
}

/** Counts an admission in the tally; whether the candidate is kept. */
export function admitInto(tally: CandidateTally, admission: Admission): boolean {
  if (admission === 'added') tally.added += 1;
  else if (admission === 'duplicate') tally.duplicates += 1;
  else if (admission === 'silent') tally.silent += 1;
  else tally.overCap += 1;
  return admission === 'added';
}
