import {
  RTCPeerConnection,
  useOPUS,
  useVP8,
  useVP9,
  useH264,
  useAudioLevelIndication,
  type PeerConfig,
  type RTCIceServer,
  type RTCRtpCodecParameters,
} from 'werift';
import type { VideoCodecName } from './negotiatedCodecs';

export interface PeerConnectionOptions {
  /** STUN/TURN servers the operator configured. Empty means: contact nobody. */
  iceServers: RTCIceServer[];
  /** Extra host candidates, e.g. 127.0.0.1 so clients on this host can reach us. */
  additionalHostAddresses: string[];
  /** Restrict ICE to one local address (tests bind to loopback). */
  interfaceAddress?: string;
  /**
   * An offerer should say max-bundle: under werift's default (max-compat) it gathers a
   * transport per m-line and never closes the ones the answer bundles away.
   */
  bundlePolicy?: 'max-bundle' | 'max-compat';
  /** The video codecs to receive, in order of preference (the server: those its decoders decode). */
  videoCodecs?: readonly VideoCodecName[];
}

/** What a peer connection receives when nobody says otherwise. */
const DEFAULT_VIDEO_CODECS: readonly VideoCodecName[] = ['VP8', 'H264'];

const VIDEO_CODEC: Record<VideoCodecName, () => RTCRtpCodecParameters> = { VP8: useVP8, VP9: useVP9, H264: useH264 };

/**
 * werift falls back to a public STUN server when none is configured, which would make every
 * session look up and contact a host the operator never chose. Clearing the gatherer's STUN
 * server before gathering keeps an unconfigured server silent.
 */
export function forgetDefaultStunServer(pc: RTCPeerConnection, options: PeerConnectionOptions): void {
  if (hasStunServer(options.iceServers)) return;
  for (const iceTransport of pc.iceTransports) {
    iceTransport.connection.stunServer = undefined;
  }
}

function hasStunServer(iceServers: RTCIceServer[]): boolean {
  return iceServers.some((server) => {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    return urls.some((url) => url.startsWith('stun:') || url.startsWith('stuns:'));
  });
}

/** The codecs received, in order of preference; fresh objects, as werift may annotate them. */
function receivedCodecs(videoCodecs: readonly VideoCodecName[] = DEFAULT_VIDEO_CODECS) {
  return { video: videoCodecs.map((codec) => VIDEO_CODEC[codec]()), audio: [useOPUS()] };
}

/** Names of the codecs received (VP8, VP9, H264, OPUS), per media kind. */
export function receivedCodecNames(kind: 'audio' | 'video', videoCodecs?: readonly VideoCodecName[]): string[] {
  return receivedCodecs(videoCodecs)[kind].map((codec) => codec.mimeType.split('/')[1]!);
}

export function createPeerConnection(options: PeerConnectionOptions): RTCPeerConnection {
  const config: Partial<PeerConfig> = {
    iceServers: options.iceServers,
    iceAdditionalHostAddresses: options.additionalHostAddresses,
    iceUseIpv6: false,
    bundlePolicy: options.bundlePolicy ?? 'max-compat',
    codecs: receivedCodecs(options.videoCodecs),
    headerExtensions: { audio: [useAudioLevelIndication()] },
  };
  if (options.interfaceAddress) {
    config.iceInterfaceAddresses = { udp4: options.interfaceAddress };
  }
  return new RTCPeerConnection(config);
}

/**
 * setLocalDescription with the STUN guard applied first: gathering starts there, so the
 * transports must have forgotten werift's default STUN server by then.
 */
export async function setLocalDescriptionQuietly(
  pc: RTCPeerConnection,
  description: Parameters<RTCPeerConnection['setLocalDescription']>[0],
  options: PeerConnectionOptions,
): Promise<void> {
  forgetDefaultStunServer(pc, options);
  await pc.setLocalDescription(description);
}
