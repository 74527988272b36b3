/**
 * Where a connection's setup time goes, seen from the server: timestamps (ms after the offer
 * reached the session manager) of each step werift takes between the offer and `connected`.
 * Read from werift's public events and a few wrapped methods of one connection; nothing is
 * changed in what the connection does.
 */
import { performance } from 'node:perf_hooks';
import type { RTCPeerConnection } from 'werift';

export const STEPS = [
  'set_remote_description',
  'answer_created',
  'gathering_complete',
  'answer_sent',
  'ice_checking',
  'first_stun_check_in',
  'ice_connected',
  'dtls_connecting',
  'first_dtls_in',
  'first_dtls_out',
  'dtls_connected',
  'sctp_connected',
  'connected',
] as const;
export type Step = (typeof STEPS)[number];

export class SetupTimeline {
  readonly marks: Partial<Record<Step, number>> = {};

  constructor(readonly t0: number) {}

  mark(step: Step, at = performance.now()): void {
    this.marks[step] ??= at - this.t0;
  }

  /** Milliseconds after t0 per step (rounded to 0.1), in order; missing steps are left out. */
  relative(): Partial<Record<Step, number>> {
    const out: Partial<Record<Step, number>> = {};
    for (const step of STEPS) {
      const at = this.marks[step];
      if (at !== undefined) out[step] = Math.round(at * 10) / 10;
    }
    return out;
  }
}

/** Records the timeline of one server-side connection, from now (the offer's arrival). */
export function watchSetup(pc: RTCPeerConnection, t0 = performance.now()): SetupTimeline {
  const timeline = new SetupTimeline(t0);
  const wrap = (name: 'setRemoteDescription' | 'createAnswer', step: Step, after?: () => void) => {
    const original = pc[name].bind(pc) as (...args: unknown[]) => Promise<unknown>;
    let first = true;
    (pc as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const result = await original(...args);
      timeline.mark(step);
      if (first) after?.();
      first = false;
      return result;
    };
  };
  wrap('setRemoteDescription', 'set_remote_description', () => {
    // The answerer's transports and SCTP exist once the offer is applied.
    for (const dtls of pc.dtlsTransports) watchTransport(dtls, timeline);
    pc.sctpTransport?.sctp.stateChanged.connected.subscribe(() => timeline.mark('sctp_connected'));
  });
  wrap('createAnswer', 'answer_created');
  pc.iceGatheringStateChange.subscribe((state) => {
    if (state === 'complete') timeline.mark('gathering_complete');
  });
  pc.iceConnectionStateChange.subscribe((state) => {
    if (state === 'checking') timeline.mark('ice_checking');
    if (state === 'connected') timeline.mark('ice_connected');
  });
  pc.connectionStateChange.subscribe((state) => {
    if (state === 'connected') timeline.mark('connected');
  });
  return timeline;
}

type DtlsTransport = RTCPeerConnection['dtlsTransports'][number];

function watchTransport(dtls: DtlsTransport, timeline: SetupTimeline): void {
  const connection = dtls.iceTransport.connection;
  connection.onData.subscribe((data: Buffer) => {
    if (data[0]! >= 20 && data[0]! <= 63) timeline.mark('first_dtls_in');
  });
  const send = connection.send.bind(connection);
  connection.send = (data: Buffer) => {
    if (data[0]! >= 20 && data[0]! <= 63) timeline.mark('first_dtls_out');
    return send(data);
  };
  // STUN binding requests never reach onData: they are handled (or queued as early checks,
  // before the connection's own checks start) by the ICE agent.
  const agent = connection as unknown as { checkIncoming: (...args: unknown[]) => void; earlyChecks: unknown[] };
  const checkIncoming = agent.checkIncoming;
  agent.checkIncoming = (...args) => {
    timeline.mark('first_stun_check_in');
    return checkIncoming.apply(connection, args);
  };
  const early = agent.earlyChecks;
  early.push = (...items) => {
    timeline.mark('first_stun_check_in');
    return Array.prototype.push.apply(early, items);
  };
  dtls.onStateChange.subscribe((state) => {
    if (state === 'connecting') timeline.mark('dtls_connecting');
    if (state === 'connected') timeline.mark('dtls_connected');
  });
}
