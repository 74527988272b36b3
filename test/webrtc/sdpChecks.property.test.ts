/**
 * Properties of the SDP checks and of the ICE fragment parser over generated hostile input: the
 * checks read the lines werift reads, never count fewer tracks than werift fires, and the
 * fragment parser throws nothing but IceFragmentError and admits no address it must not.
 */
import fc from 'fast-check';
import { Candidate, RTCPeerConnection } from 'werift';
import { parseIceFragment } from '../../src/webrtc/iceFragment';
import { offerShape, sdpLineProblem } from '../../src/webrtc/offerShape';
import { admitOfferCandidates, RemoteCandidateBudget, refusedCandidateAddress } from '../../src/webrtc/remoteCandidates';
import { OfferShapeError, IceFragmentError } from '../../src/errors';

const FINGERPRINT = Array.from({ length: 32 }, () => 'AB').join(':');

/** werift's own line split (SessionDescription.parse's groupLines). */
const weriftLines = (sdp: string) => (sdp.split('\r\n').length === 1 ? sdp.split('\n') : sdp.split('\r\n'));

const separator = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r', '\u2028', ' ', '\t');
/** Mostly the offer's own line ending (EOL), sometimes a hostile one. */
const attributeEnd = fc.oneof({ weight: 6, arbitrary: fc.constant('EOL') }, { weight: 1, arbitrary: separator });
const direction = fc.constantFrom('a=sendonly', 'a=sendrecv', 'a=recvonly', 'a=inactive', 'a=sendonly ', 'a=inactive ', 'a=sendonly:x', 'a=inactive:y', ' a=inactive', 'a=x-note');
const section = fc.record({
  kind: fc.constantFrom('audio', 'video', 'video', 'audio', 'Video', 'application'),
  port: fc.constantFrom('9', '0', '49203'),
  bundleOnly: fc.boolean(),
  attributes: fc.array(fc.tuple(direction, attributeEnd), { maxLength: 4 }),
});

/** An offer of generated sections, joined by generated separators (mostly CRLF). */
const offers = fc.record({ sections: fc.array(section, { minLength: 1, maxLength: 5 }), bundle: fc.boolean(), eol: fc.constantFrom('\r\n', '\n') }).map(({ sections, bundle, eol }) => {
  const head = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', ...(bundle ? [`a=group:BUNDLE ${sections.map((_, index) => index).join(' ')}`] : [])].join(eol);
  const body = sections
    .map(({ kind, port, bundleOnly, attributes }, index) => {
      const format = kind === 'application' ? 'UDP/DTLS/SCTP webrtc-datachannel' : `UDP/TLS/RTP/SAVPF 96${eol}a=rtpmap:96 ${kind.toLowerCase() === 'audio' ? 'opus/48000/2' : 'VP8/90000'}`;
      const fixed = [`m=${kind} ${port} ${format}`, `a=mid:${index}`, 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', `a=fingerprint:sha-256 ${FINGERPRINT}`, 'a=setup:actpass', ...(bundleOnly ? ['a=bundle-only'] : [])].join(eol);
      return fixed + eol + attributes.map(([line, end]) => line + (end === 'EOL' ? eol : end)).join('');
    })
    .join(eol);
  return `${head}${eol}${body}${eol}`;
});

/** How many tracks werift fires for the offer, or null when it refuses it. */
async function weriftTracks(sdp: string): Promise<number | null> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  let tracks = 0;
  pc.onTrack.subscribe(() => (tracks += 1));
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp });
    return tracks;
  } catch {
    return null;
  } finally {
    await pc.close();
  }
}

describe('SDP checks (offerShape) against werift', () => {
  it('an offer whose lines pass is split into the same lines by werift and by /\\r?\\n/', () => {
    fc.assert(
      fc.property(offers, (sdp) => {
        if (sdpLineProblem(sdp) !== undefined) return;
        expect(sdp.split(/\r?\n/)).toEqual(weriftLines(sdp));
      }),
      { numRuns: 300 },
    );
  });

  it('throws nothing but OfferShapeError; counts every m-section werift sees, and never fewer tracks than werift fires', async () => {
    await fc.assert(
      fc.asyncProperty(offers, async (sdp) => {
        let shape;
        try {
          shape = offerShape(sdp);
        } catch (error) {
          expect(error).toBeInstanceOf(OfferShapeError);
          return;
        }
        expect(shape.sections).toBe(weriftLines(sdp).filter((line) => line.startsWith('m=')).length);
        expect(shape.transports).toBeLessThanOrEqual(shape.sections);
        const fired = await weriftTracks(sdp);
        if (fired !== null) expect(shape.tracks.audio + shape.tracks.video).toBeGreaterThanOrEqual(fired);
      }),
      { numRuns: 200 },
    );
  });

  it('throws nothing but OfferShapeError on arbitrary text after v=0', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: fc.constantFrom('m=', 'a=', 'audio', 'video', ' ', '0', '9', '\r\n', '\n', '\r', 'x', ':', 'group:BUNDLE', 'mid:') }), (text) => {
        try {
          offerShape(`v=0\r\n${text}`);
        } catch (error) {
          expect(error).toBeInstanceOf(OfferShapeError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

const address = fc.oneof(
  fc.ipV4(),
  fc.constantFrom('0.0.0.0', '224.0.0.251', '255.255.255.255', '240.1.2.3', 'abc.local', 'ABC.LOCAL', '::', 'ff02::fb', '2001:db8::1', '127.0.0.1'),
  fc.ipV6(),
  fc.domain(),
);
const candidateLine = fc
  .record({ foundation: fc.stringMatching(/^[a-zA-Z0-9+/]{1,8}$/), transport: fc.constantFrom('udp', 'UDP', 'tcp'), address, port: fc.integer({ min: 0, max: 70000 }), type: fc.constantFrom('host', 'srflx', 'relay', 'prflx', 'bogus'), tail: fc.constantFrom('', ' generation 0', ' raddr 0.0.0.0 rport 0', '  x') })
  .map(({ foundation, transport, address, port, type, tail }) => `a=candidate:${foundation} 1 ${transport} 2130706431 ${address} ${port} typ ${type}${tail}`);
const fragmentLine = fc.oneof(candidateLine, fc.constantFrom('a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', 'm=audio 9 UDP/TLS/RTP/SAVPF 0', 'a=mid:0', 'a=end-of-candidates', 'a=ice-ufrag:x', 'junk'), fc.string({ maxLength: 40 }));

describe('ICE fragments and offer candidates', () => {
  it('parseIceFragment throws only IceFragmentError, and admits only UDP IPv4 candidates of allowed addresses that werift reads alike', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fragmentLine, separator), { maxLength: 12 }), (lines) => {
        const text = lines.map(([line, sep]) => line + sep).join('');
        let fragment;
        try {
          fragment = parseIceFragment(text);
        } catch (error) {
          expect(error).toBeInstanceOf(IceFragmentError);
          return;
        }
        for (const { candidate, parsed } of fragment.candidates) {
          expect(parsed.transport).toBe('udp');
          expect(parsed.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
          expect(refusedCandidateAddress(parsed.address, parsed.port)).toBeUndefined();
          const werift = Candidate.fromSdp(candidate.slice('candidate:'.length));
          expect([werift.host, werift.port]).toEqual([parsed.address, parsed.port]);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('an offer keeps at most the cap of candidates, none of a refused address', () => {
    fc.assert(
      fc.property(fc.array(candidateLine, { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), (candidates, cap) => {
        const sdp = ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', ...candidates, ''].join('\r\n');
        const { sdp: admitted } = admitOfferCandidates(sdp, new RemoteCandidateBudget(cap), 'abcd');
        const kept = admitted.split('\r\n').filter((line) => line.startsWith('a=candidate:'));
        expect(kept.length).toBeLessThanOrEqual(cap);
        for (const line of kept) {
          const werift = Candidate.fromSdp(line.slice('a=candidate:'.length));
          expect(refusedCandidateAddress(werift.host, werift.port)).toBeUndefined();
          expect(werift.transport.toLowerCase()).toBe('udp');
        }
      }),
      { numRuns: 300 },
    );
  });
});
