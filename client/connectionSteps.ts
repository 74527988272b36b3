/**
 * The steps of connecting a werift peer to the server that need no client object: checking
 * the answer's codec, stopping transports the answer bundled away, feeding the data channel
 * into an inbox, and waiting for the connection and the channel to open.
 */
import type { RTCDataChannel, RTCDtlsTransport, RTCPeerConnection } from 'werift';
import type { OutgoingTrack } from './outgoingTrack';
import { parseServerEvent, type EventInbox } from './serverEvents';
import type { VideoFile } from './videoFile';

/** The answer must have kept the file's codec, the only one offered for video. */
export function requireNegotiatedCodec(video: OutgoingTrack, file: VideoFile): void {
  const negotiated = video.negotiatedCodec();
  if (negotiated?.mimeType.toUpperCase() !== `VIDEO/${file.codec}`) {
    throw new Error(`The server did not accept ${file.codec} video for ${file.path} (answer: ${negotiated?.mimeType ?? 'no codec'})`);
  }
}

/**
 * werift's default bundle policy ("max-compat") gathers one transport per m-section. When the
 * answer bundles them, werift moves the m-sections onto the shared transport but never stops
 * the others: their UDP sockets would stay open even after pc.close().
 */
export async function stopTransportsBundledAway(pc: RTCPeerConnection, offered: RTCDtlsTransport[]): Promise<void> {
  const inUse = new Set<RTCDtlsTransport>(pc.getTransceivers().map((transceiver) => transceiver.dtlsTransport));
  if (pc.sctpTransport) inUse.add(pc.sctpTransport.dtlsTransport);
  await Promise.all(offered.filter((transport) => !inUse.has(transport)).map((transport) => transport.stop()));
}

/** Records each event the channel brings in the inbox, and ends the inbox when the channel closes. */
export function attachInbox(channel: RTCDataChannel, inbox: EventInbox): void {
  channel.onMessage.subscribe((message) => {
    const event = parseServerEvent(message);
    if (event) inbox.add(event);
  });
  channel.stateChanged.subscribe((state) => {
    if (state === 'closed') inbox.end('the data channel closed');
  });
}

/** Resolves when the peer connection is connected; rejects if it fails or closes first. */
export function connected(pc: RTCPeerConnection): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const check = (state: RTCPeerConnection['connectionState']): boolean => {
      if (state === 'connected') resolve();
      else if (state === 'failed' || state === 'closed') reject(new Error(`The peer connection ${state}`));
      else return false;
      return true;
    };
    if (check(pc.connectionState)) return;
    const { unSubscribe } = pc.connectionStateChange.subscribe((state) => {
      if (check(state)) unSubscribe();
    });
  });
}

/** Resolves when the data channel is open; rejects if it closes first. */
export function opened(channel: RTCDataChannel): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const check = (state: RTCDataChannel['readyState']): boolean => {
      if (state === 'open') resolve();
      else if (state === 'closed' || state === 'closing') reject(new Error('The data channel closed before it opened'));
      else return false;
      return true;
    };
    if (check(channel.readyState)) return;
    const { unSubscribe } = channel.stateChanged.subscribe((state) => {
      if (check(state)) unSubscribe();
    });
  });
}
