import type { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

/**
 * The offer's video codecs by m-section mid, in the offerer's order of preference (the order
 * of the m-line's payload types), as upper-case names: `{ "0": ["VP9", "VP8", "H264"] }`.
 */
export function offeredVideoCodecs(offerSdp: string): Map<string, string[]> {
  const byMid = new Map<string, string[]>();
  for (const section of offerSdp.split(/\r?\n(?=m=)/)) {
    const mLine = /^m=video \S+ \S+ ([\d ]+)/.exec(section);
    const mid = /^a=mid:(\S+)/m.exec(section)?.[1];
    if (!mLine || mid === undefined) continue;
    const names = new Map<string, string>();
    for (const match of section.matchAll(/^a=rtpmap:(\d+) ([^/\s]+)/gm)) names.set(match[1]!, match[2]!.toUpperCase());
    const order = mLine[1]!.trim().split(/\s+/).flatMap((payloadType) => names.get(payloadType) ?? []);
    byMid.set(mid, [...new Set(order)]);
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
