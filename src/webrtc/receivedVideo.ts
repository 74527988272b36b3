import { fmtpParameters, H264_PROFILE_LEVEL_ID, offeredH264Profile, type H264Profile } from './h264Profiles';
import { videoCodecNamed, type VideoCodecName } from './negotiatedCodecs';
import type { OfferedFormat } from './offeredCodecOrder';
import type { PeerConnectionOptions } from './peerConnectionFactory';

/** What a server receives of video: the codecs its decoders decode and, of H264, the profiles. */
export interface ReceivedVideo {
  /** In the server's order of preference (an offerer's own order comes first: see offeredCodecOrder). */
  videoCodecs: readonly VideoCodecName[];
  /** The H264 profiles received, with packetization-mode 1; unused without H264 in videoCodecs. */
  h264Profiles: readonly H264Profile[];
}

/** The audio codec every server receives, as SDP names it. */
export const RECEIVED_AUDIO_CODEC = 'OPUS';

/**
 * Whether an offered video format is one `received` decodes: its codec, for H264 a profile of
 * the list sent with packetization-mode 1, for VP9 and AV1 profile 0 (8-bit 4:2:0 pictures;
 * what browsers send; the others' pictures are not I420).
 */
export function receivesVideoFormat(received: ReceivedVideo, format: Pick<OfferedFormat, 'name' | 'fmtp'>): boolean {
  const name = videoCodecNamed(format.name);
  if (!name || !received.videoCodecs.includes(name)) return false;
  switch (name) {
    case 'H264': {
      const profile = offeredH264Profile(format.fmtp);
      return profile !== undefined && received.h264Profiles.includes(profile);
    }
    case 'VP9':
      return (fmtpParameters(format.fmtp).get('profile-id') ?? '0') === '0';
    case 'AV1':
      return (fmtpParameters(format.fmtp).get('profile') ?? '0') === '0';
    default:
      return true;
  }
}

/** The peer connection options that configure werift to receive `received` (each H264 profile at level 3.1). */
export function receivingOptions(received: ReceivedVideo): Pick<PeerConnectionOptions, 'videoCodecs' | 'h264ProfileLevelIds'> {
  return { videoCodecs: received.videoCodecs, h264ProfileLevelIds: received.h264Profiles.map((profile) => H264_PROFILE_LEVEL_ID[profile]) };
}

/** `VP8, VP9, H264 (constrained baseline, main), AV1`: the video received, for messages and logs. */
export function describeReceivedVideo(received: ReceivedVideo): string {
  return received.videoCodecs
    .map((codec) => (codec === 'H264' ? `H264 (${received.h264Profiles.join(', ')})` : codec))
    .join(', ');
}
