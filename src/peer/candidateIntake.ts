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
 * reflexive) are its likeliest to work. Refused and capped ones count as
 * `input_refused_total{resource="remote_candidate"}`, with a warning at a bounded rate.
 */
export class CandidateIntake {
  private readonly budget: RemoteCandidateBudget;
  private readonly warnings = new LogBudget();

  constructor(
    maxRemoteCandidates: number,
    private readonly log: Logger,
  ) {
    this.budget = new RemoteCandidateBudget(maxRemoteCandidates);
  }

  /** The offer with only its admitted candidates (keyed to the ICE session of its credentials). */
  offer(offerSdp: string): string {
    const { sdp, tally } = admitOfferCandidates(offerSdp, this.budget, iceCredentials(offerSdp)?.ufrag ?? null);
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
    const dropped = tally.refused + tally.overCap;
    if (dropped === 0) return;
    refusals.count('remote_candidate', dropped);
    this.warnings.warn(this.log, 'remote_candidate', 'Remote ICE candidates dropped', {
      from,
      refused_addresses: tally.refused,
      over_cap: tally.overCap,
      max_remote_candidates: this.budget.max,
    });
  }
}
