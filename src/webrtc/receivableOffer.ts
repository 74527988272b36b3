import { videoCodecNamed } from './negotiatedCodecs';
import { offeredMedia } from './offeredCodecOrder';
import { receivesVideoFormat, type ReceivedVideo } from './receivedVideo';

/**
 * The offer as werift should see it: in each video section, the formats of a codec werift is
 * configured for that the decoders cannot take are removed, with the rtx formats repairing them.
 *
 * Why: werift 0.25.2 answers each configured codec with the first offered format of the same
 * MIME type (TransceiverManager.resolveRemoteCodecSet; profile-level-id is compared only with a
 * sending track's codecs). Offered H264 high before constrained baseline, a server configured
 * for constrained baseline alone would answer high, and its decoder get a stream it cannot
 * decode; offered VP9 profile 2 first, 10-bit pictures. A section left with no format werift
 * matches is one werift rejects itself (port 0 in the answer), as it does any section without a
 * codec in common; one left with no format at all is marked rejected (port 0, RFC 3264 6) with
 * its formats kept, since an m-line needs one. Other formats (red, ulpfec) and sections stay.
 */
export function withReceivableVideoFormats(offerSdp: string, received: ReceivedVideo): string {
  const media = offeredMedia(offerSdp);
  const eol = offerSdp.includes('\r\n') ? '\r\n' : '\n';
  const sections = offerSdp.split(/\r?\n(?=m=)/);
  let mediaIndex = 0;
  const filtered = sections.map((section) => {
    if (!/^m=(audio|video) /.test(section)) return section;
    const { kind, formats } = media[mediaIndex++]!;
    if (kind !== 'video') return section;
    const removed = new Set(
      formats
        .filter((format) => videoCodecNamed(format.name) !== undefined && !receivesVideoFormat(received, format))
        .map((format) => format.payloadType),
    );
    for (const format of formats) {
      const apt = /(?:^|;)\s*apt=(\d+)/.exec(format.fmtp)?.[1];
      if (format.name.toLowerCase() === 'rtx' && apt !== undefined && removed.has(apt)) removed.add(format.payloadType);
    }
    return removed.size === 0 ? section : withoutFormats(section, removed, eol);
  });
  return filtered.join(eol);
}

/** The section without `payloadTypes`: off its m-line, and their rtpmap, fmtp and rtcp-fb lines gone; rejected if none is left. */
function withoutFormats(section: string, payloadTypes: ReadonlySet<string>, eol: string): string {
  const [mLine, ...attributes] = section.split(/\r?\n/);
  const [media, port, proto, ...types] = mLine!.trim().split(/\s+/);
  const kept = types.filter((type) => !payloadTypes.has(type));
  if (kept.length === 0) return [[media, '0', proto, ...types].join(' '), ...attributes].join(eol);
  const formatLine = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)[\s]/;
  const keptAttributes = attributes.filter((line) => !payloadTypes.has(formatLine.exec(line)?.[1] ?? ''));
  return [[media, port, proto, ...kept].join(' '), ...keptAttributes].join(eol);
}
