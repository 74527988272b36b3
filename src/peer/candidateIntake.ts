import { LogBudget } from '../limits/logBudget';
import { refusals } from '../limits/refusals';
import type { Logger } from '../logger';
import { iceCredentials, type FragmentCandidate, type IceFragment } from '../webrtc/iceFragment';
import { admitInto, admitOfferCandidates, emptyTally, RemoteCandidateBudget, type CandidateTally } from '../webrtc/remoteCandidates';

/**
 * The door of one session's remote ICE candidates, from its offers (first, renegotiations, ICE
 * restarts) and its trickled fragments: only what RemoteCandidateBudget admits reaches werift.
 * Beyond MAX_REMOTE_CANDIDATES, candidates are dropped, not refused (as RFC 9725 drops those a
 * server cannot use): a client cannot know the cap, and its first candidates (host, then
 * reflexive) are its likeliest to work. An address checked in vain in one ICE session is not
 * admitted in a later one. Refused, capped and such retired ones count as
 * `input_refused_total{resource="remote_candidate"}`, with a warning at a bounded rate.
 */
export class CandidateIntake {
  private readonly budget: RemoteCandidateBudget;
  private readonly warnings = new LogBudget();

  constructor(
    maxRemoteCandidates: number,
    private readonly log: Logger,
    /** The remote addresses checked and never answered so far (unansweredRemoteAddresses of the connection). */
    private readonly unanswered: () => Array<{ address: string; port: number }> = () => [],
  ) {
    this.budget = new RemoteCandidateBudget(maxRemoteCandidates);
  }

  /**
   * The offer with only its admitted candidates (keyed to the ICE session of its credentials).
   * An offer starting a new ICE session (a restart) first retires the addresses the previous one
   * checked in vain: each address gets one ICE session of unanswered checks at most.
   */
  offer(offerSdp: string): string {
    const ufrag = iceCredentials(offerSdp)?.ufrag ?? null;
    if (this.budget.currentIceSession !== null && ufrag !== this.budget.currentIceSession) {
      for (const { address, port } of this.unanswered()) this.budget.markSilent(address, port);
    }
    const { sdp, tally } = admitOfferCandidates(offerSdp, this.budget, ufrag);
    this.report(tally, 'offer');
    return sdp;
  }

  /** Counts a fragment's refused candidates only: an ICE restart's others go in with its offer. */
  restartFragment(fragment: IceFragment): void {
    this.report({ ...emptyTally(), refused: fragment.refused }, 'fragment');
  }

  /** The fragment's admitted candidates, for the ICE session of `remoteUfrag`. */
  fragment(fragment: IceFragment, remoteUfrag: string | null): FragmentCandidate[] {
    const tally = { ...emptyTally(), discarded: fragment.discarded, refused: fragment.refused };
    const admitted = fragment.candidates.filter(({ parsed }) => admitInto(tally, this.budget.admit(parsed, remoteUfrag)));
    this.report(tally, 'fragment');
    return admitted;
  }

  private report(tally: CandidateTally, from: 'offer' | 'fragment'): void {
    const dropped = tally.refused + tally.overCap + tally.silent;
    if (dropped === 0) return;
    refusals.count('remote_candidate', dropped);
    this.warnings.warn(this.log, 'remote_candidate', 'Remote ICE candidates dropped', {
      from,
      refused_addresses: tally.refused,
      over_cap: tally.overCap,
      never_answered: tally.silent,
      max_remote_candidates: this.budget.max,
    });
  }
}
