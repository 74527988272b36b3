import {
  RTCPeerConnection,
  useOPUS,
  useVP8,
  useVP9,
  useH264,
  useAV1,
  useAudioLevelIndication,
  type PeerConfig,
  type RTCCertificate,
  type RTCIceServer,
  type RTCRtpCodecParameters,
} from 'werift';
import { h264Fmtp, H264_PROFILE_LEVEL_ID } from './h264Profiles';
import type { VideoCodecName } from './negotiatedCodecs';

export interface PeerConnectionOptions {
  /**
   * STUN/TURN servers the operator configured. Empty means: contact nobody (werift's ICE agent
   * fell back to a public STUN server; patches/werift+0.25.2+016+ice-no-default-stun.patch).
   */
  iceServers: RTCIceServer[];
  /** Extra host candidates, e.g. 127.0.0.1 so clients on this host can reach us. */
  additionalHostAddresses: string[];
  /** Restrict ICE to one local address (tests bind to loopback). */
  interfaceAddress?: string;
  /** The UDP ports ICE may bind (ICE_PORT_RANGE, inclusive); any free port without it. */
  portRange?: readonly [number, number];
  /**
   * An offerer should say max-bundle: under werift's default (max-compat) it gathers a
   * transport per m-line and never closes the ones the answer bundles away.
   */
  bundlePolicy?: 'max-bundle' | 'max-compat';
  /** The video codecs to receive, in order of preference (the server: those its decoders decode). */
  videoCodecs?: readonly VideoCodecName[];
  /**
   * Of H264, one format per SDP profile-level-id, in order of preference (the server: its
   * profiles at level 3.1; a sender: its stream's). Default: werift's, constrained baseline 42e01f.
   */
  h264ProfileLevelIds?: readonly string[];
  /**
   * The largest data-channel message accepted (the server: MAX_CLIENT_MESSAGE_BYTES), advertised
   * as a=max-message-size so that a compliant client never sends a larger one. Default: werift's 65536.
   */
  maxMessageSize?: number;
  /** The DTLS certificate; default: werift's, one per process (a test client brings its own to be another party). */
  certificate?: RTCCertificate;
}

/** What a peer connection receives when nobody says otherwise. */
const DEFAULT_VIDEO_CODECS: readonly VideoCodecName[] = ['VP8', 'H264'];
const DEFAULT_H264_PROFILE_LEVEL_IDS = [H264_PROFILE_LEVEL_ID['constrained baseline']];

/** One codec's formats: H264 has one per profile-level-id. */
export function videoFormats(codec: VideoCodecName, h264ProfileLevelIds: readonly string[]): RTCRtpCodecParameters[] {
  switch (codec) {
    case 'VP8':
      return [useVP8()];
    case 'VP9':
      return [useVP9()];
    case 'AV1':
      return [useAV1()];
    case 'H264':
      return h264ProfileLevelIds.map((id) => useH264({ parameters: h264Fmtp(id) }));
  }
}

/** The codecs received (or sent), in order of preference; fresh objects, as werift may annotate them. */
function configuredCodecs({ videoCodecs = DEFAULT_VIDEO_CODECS, h264ProfileLevelIds = DEFAULT_H264_PROFILE_LEVEL_IDS }: PeerConnectionOptions) {
  return { video: videoCodecs.flatMap((codec) => videoFormats(codec, h264ProfileLevelIds)), audio: [useOPUS()] };
}

export function createPeerConnection(options: PeerConnectionOptions): RTCPeerConnection {
  const config: Partial<PeerConfig> = {
    iceServers: options.iceServers,
    iceAdditionalHostAddresses: options.additionalHostAddresses,
    iceUseIpv6: false,
    bundlePolicy: options.bundlePolicy ?? 'max-compat',
    codecs: configuredCodecs(options),
    headerExtensions: { audio: [useAudioLevelIndication()] },
  };
  if (options.interfaceAddress) {
    config.iceInterfaceAddresses = { udp4: options.interfaceAddress };
  }
  if (options.portRange) config.icePortRange = [options.portRange[0], options.portRange[1]];
  if (options.maxMessageSize) config.maxMessageSize = options.maxMessageSize;
  if (options.certificate) config.certificates = [options.certificate];
  return new RTCPeerConnection(config);
}

/**
 * Whether every ICE and DTLS transport of a connection is closed. The connection's own state is
 * not enough: werift sets it to 'failed' after close() when the close interrupted connect().
 */
export function transportsClosed(pc: RTCPeerConnection): boolean {
  return [...pc.iceTransports, ...pc.dtlsTransports].every((transport) => transport.state === 'closed');
}
