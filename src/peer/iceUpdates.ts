import type { RTCPeerConnection } from 'werift';
import type { Logger } from '../logger';
import {
  iceFragmentOf,
  iceCredentials,
  iceEntityTag,
  ifMatchAccepts,
  withNewIce,
  parseIceFragment,
  type IceFragment,
} from '../webrtc/iceFragment';
import type { CandidateIntake } from './candidateIntake';
import { IcePreconditionError, IceFragmentError } from '../errors';

/** What a PATCH of ICE did: candidates added (204), or an ICE restart with our new side (200). */
export type IceUpdateResult = { restarted: false } | { restarted: true; fragment: string; etag: string };

export interface IceUpdatesOptions {
  pc: RTCPeerConnection;
  /** The client's last offer, as applied; null before the first. */
  lastOffer(): string | null;
  /** Applies an offer (the ICE restart's) the way any renegotiation is applied, and answers it. */
  negotiate(offerSdp: string): Promise<string>;
  /** The session's remote candidates: werift sees only the fragment's candidates it admits. */
  candidates: CandidateIntake;
  log: Logger;
}

/**
 * Trickle ICE and ICE restarts of one session (RFC 9725 section 4.3), one PATCH at a time so
 * that a PATCH always sees the ICE session the previous one left: candidates sent with the tag
 * of an ICE session a restart has just replaced get 412, as the RFC wants.
 */
export class IceUpdates {
  private queue: Promise<unknown> = Promise.resolve();
  private restarts = 0;

  constructor(private readonly options: IceUpdatesOptions) {}

  /** Applies a fragment whose If-Match is `ifMatch`; throws IceFragmentError or IcePreconditionError. */
  apply(body: string, ifMatch: string): Promise<IceUpdateResult> {
    const run = this.queue.then(() => this.applyNow(body, ifMatch));
    this.queue = run.catch(() => {});
    return run;
  }

  private async applyNow(body: string, ifMatch: string): Promise<IceUpdateResult> {
    const { pc, log } = this.options;
    const fragment = parseIceFragment(body);
    const local = pc.localDescription?.sdp;
    const offer = this.options.lastOffer();
    if (!local || !offer) throw new IcePreconditionError('the session has no ICE session yet');
    const currentTag = iceEntityTag(local);
    if (!ifMatchAccepts(ifMatch, currentTag)) {
      throw new IcePreconditionError(`If-Match ${ifMatch.slice(0, 80)} does not name the current ICE session (ETag ${currentTag})`);
    }
    const remote = iceCredentials(offer);
    const isRestart = fragment.ufrag !== null && (fragment.ufrag !== remote?.ufrag || (fragment.pwd !== null && fragment.pwd !== remote?.pwd));
    if (isRestart && fragment.pwd === null) throw new IceFragmentError('an ICE restart (a new ice-ufrag) needs its ice-pwd too');
    // Other credentials under a tag are no restart (RFC 9725 section 4.3.3 wants If-Match: *):
    // a late trickle of an ICE session the client has left, which must not restart ICE again.
    if (isRestart && ifMatch.trim() !== '*') {
      throw new IcePreconditionError(`the fragment's ice-ufrag is not the current ICE session's (ETag ${currentTag}); an ICE restart needs If-Match: *`);
    }
    // An ICE restart's candidates go with its offer, through the same door (answerOffer).
    if (isRestart) {
      this.options.candidates.restartFragment(fragment);
      return this.restart(fragment, offer);
    }
    const admitted = this.options.candidates.fragment(fragment, remote?.ufrag ?? null);
    for (const { mid, candidate } of admitted) {
      await pc.addIceCandidate({ candidate, sdpMid: this.knownMid(mid), usernameFragment: fragment.ufrag ?? undefined });
    }
    if (fragment.endOfCandidates) await pc.addIceCandidate({ candidate: '', sdpMid: this.knownMid(fragment.firstMid) });
    log.debug('Trickled ICE candidates', {
      added: admitted.length,
      dropped: fragment.candidates.length - admitted.length,
      discarded: fragment.discarded,
      refused: fragment.refused,
      end: fragment.endOfCandidates,
    });
    return { restarted: false };
  }

  private async restart(fragment: IceFragment, offer: string): Promise<IceUpdateResult> {
    const { ufrag, pwd } = fragment;
    if (ufrag === null || pwd === null) throw new IceFragmentError('an ICE restart needs ice-ufrag and ice-pwd');
    const answer = await this.options.negotiate(withNewIce(offer, { ...fragment, ufrag, pwd }));
    this.restarts += 1;
    this.options.log.info('ICE restarted', { restarts: this.restarts, candidates: fragment.candidates.length, discarded: fragment.discarded, refused: fragment.refused });
    return { restarted: true, fragment: iceFragmentOf(answer), etag: iceEntityTag(answer) };
  }

  /** The fragment's mid when the connection has that m-section, else the first one's (bundled). */
  private knownMid(mid: string | null): string | undefined {
    const mids = this.options.pc.getTransceivers().map((transceiver) => transceiver.mid);
    const sctpMid = this.options.pc.sctpTransport?.mid;
    if (mid !== null && (mids.includes(mid) || sctpMid === mid)) return mid;
    return mids.find((candidate): candidate is string => typeof candidate === 'string') ?? sctpMid ?? undefined;
  }
}
