import type { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

export interface OfferedMedia {
  kind: 'audio' | 'video';
  /** The section's `a=mid`, when it has one. */
  mid: string | undefined;
  /** Codec names in the m-line's payload type order, without repeats; `payload type N` for a type with no rtpmap. */
  codecs: string[];
  /** Every payload type in the m-line's order, with its codec name and fmtp (empty when none). */
  formats: OfferedFormat[];
}

export interface OfferedFormat {
  payloadType: string;
  name: string;
  fmtp: string;
}

/** The audio and video sections of an SDP with their codecs, in the offerer's order of preference. */
export function offeredMedia(sdp: string): OfferedMedia[] {
  return sdp
    .split(/\r?\n(?=m=)/)
    .filter((section) => /^m=(audio|video) /.test(section))
    .map((section) => {
      const [kind, , , ...payloadTypes] = section.slice(2).split(/\r?\n/)[0]!.trim().split(/\s+/);
      const names = new Map<string, string>();
      for (const match of section.matchAll(/^a=rtpmap:(\d+) ([^/\s]+)/gm)) names.set(match[1]!, match[2]!);
      const fmtps = new Map<string, string>();
      for (const match of section.matchAll(/^a=fmtp:(\d+) ([^\r\n]*)/gm)) fmtps.set(match[1]!, match[2]!.trim());
      const formats = payloadTypes.map((payloadType) => ({
        payloadType,
        name: names.get(payloadType) ?? `payload type ${payloadType}`,
        fmtp: fmtps.get(payloadType) ?? '',
      }));
      const mid = /^a=mid:(\S+)/m.exec(section)?.[1];
      return { kind: kind as OfferedMedia['kind'], mid, codecs: [...new Set(formats.map(({ name }) => name))], formats };
    });
}

/** The offer's video codecs by m-section mid, upper-case, in the offerer's order: `{ "0": ["VP9", "VP8", "H264"] }`. */
export function offeredVideoCodecs(offerSdp: string): Map<string, string[]> {
  const byMid = new Map<string, string[]>();
  for (const { kind, mid, codecs } of offeredMedia(offerSdp)) {
    if (kind === 'video' && mid !== undefined) byMid.set(mid, codecs.map((codec) => codec.toUpperCase()));
  }
  return byMid;
}

/**
 * A sender uses the first codec of the answer, and werift answers in its own configured
 * order: a browser that prefers VP9 would still be made to send VP8. This sets each video
 * transceiver's codec preferences (public API) to the configured codecs in the offer's order,
 * so the answer lists them as the offerer ranked them; codecs it did not offer keep their
 * place behind. Call after setRemoteDescription(offer) and before createAnswer().
 */
export function answerInOfferedCodecOrder(pc: RTCPeerConnection, offerSdp: string): void {
  const offered = offeredVideoCodecs(offerSdp);
  const configured = pc.config.codecs.video ?? [];
  for (const transceiver of pc.getTransceivers()) {
    const order = transceiver.kind === 'video' && transceiver.mid ? offered.get(transceiver.mid) : undefined;
    if (!order) continue;
    const rank = (codec: RTCRtpCodecParameters) => {
      const index = order.indexOf(codec.mimeType.split('/')[1]!.toUpperCase());
      return index < 0 ? order.length : index;
    };
    transceiver.setCodecPreferences([...configured].sort((a, b) => rank(a) - rank(b)));
  }
}
