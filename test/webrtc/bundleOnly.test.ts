import { acceptBundleOnly } from '../../src/webrtc/bundleOnly';

/** The shape of a webrtcbin (GStreamer 1.22) max-bundle offer: audio is bundle-only on port 0. */
const GSTREAMER_OFFER = [
  'v=0',
  'o=- 1469411245391573398 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=ice-options:trickle',
  'a=group:BUNDLE video0 audio1',
  'm=video 49203 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 198.18.0.2',
  'a=setup:actpass',
  'a=ice-ufrag:Y1Bqk2i0s9uGmXnSyHSPbcXnXwbEhzdd',
  'a=ice-pwd:kBFRnUlL4TU3mfMBcq0BTEAwgjUd4kRM',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=sendonly',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=ssrc:3208232573 msid:user1380467929@host-5b6a4e17 webrtctransceiver0',
  'a=ssrc:3208232573 cname:user1380467929@host-5b6a4e17',
  'a=mid:video0',
  'a=fingerprint:sha-256 6E:0A:2A:6C:0E:6E:1B:7F:3B:4B:3F:7E:88:7B:98:5A:DA:B7:0A:8E:09:17:8D:5E:3E:61:3B:6C:5A:5C:7E:B5',
  'a=candidate:1 1 UDP 2015363327 198.18.0.2 49203 typ host',
  'a=end-of-candidates',
  'm=audio 0 UDP/TLS/RTP/SAVPF 97',
  'c=IN IP4 0.0.0.0',
  'a=setup:actpass',
  'a=ice-ufrag:Y1Bqk2i0s9uGmXnSyHSPbcXnXwbEhzdd',
  'a=ice-pwd:kBFRnUlL4TU3mfMBcq0BTEAwgjUd4kRM',
  'a=bundle-only',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=sendonly',
  'a=rtpmap:97 OPUS/48000/2',
  'a=rtcp-fb:97 nack',
  'a=rtcp-fb:97 nack pli',
  'a=fmtp:97 sprop-maxcapturerate=48000;sprop-stereo=0',
  'a=ssrc:1727327426 msid:user1380467929@host-5b6a4e17 webrtctransceiver1',
  'a=ssrc:1727327426 cname:user1380467929@host-5b6a4e17',
  'a=mid:audio1',
  'a=fingerprint:sha-256 6E:0A:2A:6C:0E:6E:1B:7F:3B:4B:3F:7E:88:7B:98:5A:DA:B7:0A:8E:09:17:8D:5E:3E:61:3B:6C:5A:5C:7E:B5',
  '',
].join('\r\n');

function mediaLines(sdp: string): string[] {
  return sdp.split(/\r?\n/).filter((line) => line.startsWith('m='));
}

describe('acceptBundleOnly', () => {
  it('gives a bundled bundle-only m-section on port 0 the placeholder port 9', () => {
    const accepted = acceptBundleOnly(GSTREAMER_OFFER);
    expect(mediaLines(accepted)).toEqual(['m=video 49203 UDP/TLS/RTP/SAVPF 96', 'm=audio 9 UDP/TLS/RTP/SAVPF 97']);
  });

  it('changes nothing but that port', () => {
    const accepted = acceptBundleOnly(GSTREAMER_OFFER);
    expect(accepted).toBe(GSTREAMER_OFFER.replace('m=audio 0 ', 'm=audio 9 '));
    expect(accepted.endsWith('\r\n')).toBe(true);
  });

  it('keeps LF line endings', () => {
    const lf = GSTREAMER_OFFER.replace(/\r\n/g, '\n');
    expect(acceptBundleOnly(lf)).toBe(lf.replace('m=audio 0 ', 'm=audio 9 '));
  });

  it('leaves a port-0 section alone when it is not bundle-only (a rejected m-section)', () => {
    const rejected = GSTREAMER_OFFER.replace('a=bundle-only\r\n', '');
    expect(acceptBundleOnly(rejected)).toBe(rejected);
  });

  it('leaves a bundle-only section alone when its mid is not in a BUNDLE group', () => {
    const unbundled = GSTREAMER_OFFER.replace('a=group:BUNDLE video0 audio1', 'a=group:BUNDLE video0');
    expect(acceptBundleOnly(unbundled)).toBe(unbundled);
    const noGroup = GSTREAMER_OFFER.replace('a=group:BUNDLE video0 audio1\r\n', '');
    expect(acceptBundleOnly(noGroup)).toBe(noGroup);
  });

  it('leaves offers without bundle-only sections untouched', () => {
    const plain = GSTREAMER_OFFER.replace('m=audio 0 ', 'm=audio 49203 ').replace('a=bundle-only\r\n', '');
    expect(acceptBundleOnly(plain)).toBe(plain);
    expect(acceptBundleOnly('v=0\r\ns=-\r\n')).toBe('v=0\r\ns=-\r\n');
  });

  it('rewrites every bundle-only section of the group, and only port 0', () => {
    const threeSections = GSTREAMER_OFFER.replace('a=group:BUNDLE video0 audio1', 'a=group:BUNDLE video0 audio1 video2')
      .concat(
        ['m=video 0 UDP/TLS/RTP/SAVPF 96', 'a=bundle-only', 'a=sendonly', 'a=rtpmap:96 VP8/90000', 'a=mid:video2', ''].join('\r\n'),
      );
    expect(mediaLines(acceptBundleOnly(threeSections))).toEqual([
      'm=video 49203 UDP/TLS/RTP/SAVPF 96',
      'm=audio 9 UDP/TLS/RTP/SAVPF 97',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
    ]);
  });
});
