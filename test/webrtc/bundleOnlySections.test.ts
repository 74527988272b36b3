/**
 * Patch 017 (patches/werift+0.25.2+017+bundle-only-sections.patch): werift's own SDP parser reads a
 * bundle-only m-section of a BUNDLE group, offered with port 0 as max-bundle offerers send it, as
 * accepted (the placeholder port 9) rather than rejected, and only such a section.
 */
import fc from 'fast-check';
import { SessionDescription } from 'werift';
import { createPeerConnection } from '../../src/webrtc/peerConnectionFactory';

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

/** The ports werift's parser (the one setRemoteDescription uses) gives the offer's m-sections. */
function parsedPorts(sdp: string): number[] {
  return SessionDescription.parse(sdp).media.map((media) => media.port);
}

describe('patch 017 bundle-only-sections: a bundle-only section of the BUNDLE group offered with port 0 is accepted', () => {
  it('reads the bundled bundle-only section on port 0 with the placeholder port 9, whatever the line ending', () => {
    expect(parsedPorts(GSTREAMER_OFFER)).toEqual([49203, 9]);
    expect(parsedPorts(GSTREAMER_OFFER.replace(/\r\n/g, '\n'))).toEqual([49203, 9]);
  });

  it('keeps a port-0 section without a=bundle-only rejected (port 0)', () => {
    expect(parsedPorts(GSTREAMER_OFFER.replace('a=bundle-only\r\n', ''))).toEqual([49203, 0]);
  });

  it('keeps a bundle-only section rejected when its mid is in no BUNDLE group', () => {
    expect(parsedPorts(GSTREAMER_OFFER.replace('a=group:BUNDLE video0 audio1', 'a=group:BUNDLE video0'))).toEqual([49203, 0]);
    expect(parsedPorts(GSTREAMER_OFFER.replace('a=group:BUNDLE video0 audio1\r\n', ''))).toEqual([49203, 0]);
    expect(parsedPorts(GSTREAMER_OFFER.replace('a=group:BUNDLE video0 audio1', 'a=group:LS video0 audio1'))).toEqual([49203, 0]);
  });

  it('accepts every bundle-only section of the group and changes no other port', () => {
    const threeSections = GSTREAMER_OFFER.replace('a=group:BUNDLE video0 audio1', 'a=group:BUNDLE video0 audio1 video2').concat(
      ['m=video 0 UDP/TLS/RTP/SAVPF 96', 'a=bundle-only', 'a=sendonly', 'a=rtpmap:96 VP8/90000', 'a=mid:video2', ''].join('\r\n'),
    );
    expect(parsedPorts(threeSections)).toEqual([49203, 9, 9]);
    expect(parsedPorts(threeSections.replace('m=audio 0 ', 'm=audio 49203 '))).toEqual([49203, 49203, 9]);
  });

  it('answers the section recvonly on a real peer connection and fires its track (werift answered it inactive)', async () => {
    const pc = createPeerConnection({ iceServers: [], additionalHostAddresses: [], interfaceAddress: '127.0.0.1' });
    try {
      const kinds: string[] = [];
      pc.onTrack.subscribe((track) => kinds.push(track.kind));
      await pc.setRemoteDescription({ type: 'offer', sdp: GSTREAMER_OFFER });
      const answer = await pc.createAnswer();
      const audio = answer.sdp.slice(answer.sdp.indexOf('m=audio'));
      expect(audio).toMatch(/^m=audio [1-9]\d* /);
      expect(audio).toMatch(/\r\na=recvonly\r\n/);
      expect(kinds.sort()).toEqual(['audio', 'video']);
    } finally {
      await pc.close();
    }
  });

  it('gives port 9 exactly to the sections on port 0 with a=bundle-only and a mid in a BUNDLE group (property)', () => {
    const section = fc.record({ port: fc.constantFrom(0, 0, 9, 49203), bundleOnly: fc.boolean(), grouped: fc.boolean() });
    const offers = fc.record({ sections: fc.array(section, { minLength: 1, maxLength: 6 }), eol: fc.constantFrom('\r\n', '\n') });
    fc.assert(
      fc.property(offers, ({ sections, eol }) => {
        const grouped = sections.flatMap((one, index) => (one.grouped ? [`m${index}`] : []));
        const lines = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', ...(grouped.length ? [`a=group:BUNDLE ${grouped.join(' ')}`] : [])];
        sections.forEach((one, index) => {
          lines.push(`m=audio ${one.port} UDP/TLS/RTP/SAVPF 111`, 'a=rtpmap:111 opus/48000/2', ...(one.bundleOnly ? ['a=bundle-only'] : []), `a=mid:m${index}`);
        });
        const expected = sections.map((one) => (one.port === 0 && one.bundleOnly && one.grouped ? 9 : one.port));
        expect(parsedPorts(lines.join(eol) + eol)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
