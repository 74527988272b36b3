import { CipherContext, HashAlgorithm, MediaStreamTrack, NamedCurveAlgorithm, RTCCertificate, SignatureAlgorithm, useOPUS, useVP8, type RTCDtlsTransport, type RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import { keepCandidatesOn, keepLoopbackCandidates } from '../../client/sdpCandidates';
import { SyntheticOpusSource, SyntheticVp8Source, videoTimestampStepForFps } from '../../client/syntheticMedia';
import { iceFragmentOf, parseIceFragment, withNewIce } from '../../src/webrtc/iceFragment';
import { createPeerConnection, type PeerConnectionOptions } from '../../src/webrtc/peerConnectionFactory';
import { eventually } from './testServer';

const LOOPBACK = '127.0.0.1';
export const PUBLISHER_OPTIONS: PeerConnectionOptions = { iceServers: [], additionalHostAddresses: [LOOPBACK], interfaceAddress: LOOPBACK };

/** A WHIP publisher as a werift peer: sendonly tracks, no data channel, loopback only. */
export interface WhipPublisher {
  pc: RTCPeerConnection;
  video: { track: MediaStreamTrack; transceiver: RTCRtpTransceiver; source: SyntheticVp8Source };
  audio: { track: MediaStreamTrack; transceiver: RTCRtpTransceiver; source: SyntheticOpusSource } | null;
  offerSdp: string;
  /** The answer as applied (loopback candidates only); an ICE restart's answer is made from it. */
  answerSdp: string | null;
}

/** Made and gathered, not yet posted; the caller closes `pc`. */
export async function createPublisher({ audio = false, certificate }: { audio?: boolean; certificate?: RTCCertificate } = {}): Promise<WhipPublisher> {
  const pc = createPeerConnection({ ...PUBLISHER_OPTIONS, certificate });
  const videoTrack = new MediaStreamTrack({ kind: 'video', codec: useVP8() });
  const videoTransceiver = pc.addTransceiver(videoTrack, { direction: 'sendonly' });
  const video = { track: videoTrack, transceiver: videoTransceiver, source: new SyntheticVp8Source(() => videoTransceiver.sender.codec?.payloadType ?? 0) };
  let audioSide: WhipPublisher['audio'] = null;
  if (audio) {
    const audioTrack = new MediaStreamTrack({ kind: 'audio', codec: useOPUS() });
    const audioTransceiver = pc.addTransceiver(audioTrack, { direction: 'sendonly' });
    audioSide = { track: audioTrack, transceiver: audioTransceiver, source: new SyntheticOpusSource(() => audioTransceiver.sender.codec?.payloadType ?? 0) };
  }
  await pc.setLocalDescription(await pc.createOffer());
  const gathered = pc.localDescription?.sdp;
  if (!gathered) throw new Error('werift produced no local description');
  return { pc, video, audio: audioSide, offerSdp: keepCandidatesOn(gathered, LOOPBACK), answerSdp: null };
}

/** A DTLS certificate of its own (werift's default is one per process): a client that is another party. */
export async function newCertificate(): Promise<RTCCertificate> {
  const { certPem, keyPem, signatureHash } = await CipherContext.createSelfSignedCertificateWithKey(
    { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 },
    NamedCurveAlgorithm.secp256r1_23,
  );
  return new RTCCertificate(keyPem, certPem, signatureHash);
}

export function postWhip(serverUrl: string, sdp: string, contentType = 'application/sdp'): Promise<Response> {
  return fetch(`${serverUrl}/whip`, { method: 'POST', headers: { 'content-type': contentType }, body: sdp });
}

/** Applies the answer, stops the transports the answer bundled away, waits for `connected`. */
export async function applyAnswer(publisher: WhipPublisher, answerSdp: string): Promise<void> {
  const { pc } = publisher;
  const offeredTransports = [...pc.dtlsTransports];
  publisher.answerSdp = keepLoopbackCandidates(answerSdp);
  await pc.setRemoteDescription({ type: 'answer', sdp: publisher.answerSdp });
  const inUse = new Set<RTCDtlsTransport>(pc.getTransceivers().map((transceiver) => transceiver.dtlsTransport));
  await Promise.all(offeredTransports.filter((transport) => !inUse.has(transport)).map((transport) => transport.stop()));
  await eventually(() => pc.connectionState === 'connected', 10_000, 'the WHIP publisher to connect');
}

export async function sendMedia(publisher: WhipPublisher, frames: number): Promise<void> {
  const timestampStep = videoTimestampStepForFps(30);
  for (let frame = 0; frame < frames; frame++) {
    for (const packet of publisher.video.source.nextFrame(2, timestampStep)) publisher.video.track.writeRtp(packet);
    publisher.audio?.track.writeRtp(publisher.audio.source.nextFrame());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts an ICE restart as a WHIP client does (RFC 9725 section 4.3.3): new credentials in a new
 * offer, gathered; returns the fragment to PATCH (loopback candidates only).
 */
export async function restartIceOffer(publisher: WhipPublisher): Promise<string> {
  const { pc } = publisher;
  pc.restartIce();
  await pc.setLocalDescription(await pc.createOffer());
  return iceFragmentOf(keepCandidatesOn(pc.localDescription!.sdp, LOOPBACK));
}

/** Completes an ICE restart with the server's fragment: the previous answer with its new ICE session. */
export async function applyRestartAnswer(publisher: WhipPublisher, fragmentText: string): Promise<void> {
  if (!publisher.answerSdp) throw new Error('no answer to restart from');
  const fragment = parseIceFragment(fragmentText);
  if (!fragment.ufrag || !fragment.pwd) throw new Error('the fragment has no ICE credentials');
  publisher.answerSdp = keepLoopbackCandidates(withNewIce(publisher.answerSdp, { ...fragment, ufrag: fragment.ufrag, pwd: fragment.pwd }));
  await publisher.pc.setRemoteDescription({ type: 'answer', sdp: publisher.answerSdp });
}
