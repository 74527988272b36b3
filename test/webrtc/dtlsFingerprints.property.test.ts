/**
 * Properties of the DTLS fingerprint reader on generated hostile offers: it never throws, and it
 * reads every fingerprint werift will verify a certificate against (so that a renegotiation
 * whose fingerprints read the same as the session's first offer can add none werift would use).
 */
import fc from 'fast-check';
import { SessionDescription } from 'werift';
import { dtlsFingerprints, sameFingerprints } from '../../src/webrtc/dtlsFingerprints';

const hexByte = fc.integer({ min: 0, max: 255 }).map((n) => n.toString(16).padStart(2, '0'));
/** A fingerprint value as clients write it, or a hostile one. */
const value = fc.oneof(
  fc.array(hexByte, { minLength: 1, maxLength: 32 }).chain((bytes) => fc.constantFrom(bytes.join(':').toUpperCase(), bytes.join(':'), bytes.join(''), bytes.join('-'))),
  fc.constantFrom('', ':', 'zz', 'AB:CD\tEF'),
  fc.string({ maxLength: 12 }),
);
const algorithm = fc.constantFrom('sha-256', 'SHA-256', 'sha256', ' sha-256', 'sha-1', 'sha-512', 'md5', '', 'x');
const spacing = fc.constantFrom(' ', ' ', ' ', '  ', '\t', ' x ');
const fingerprintLine = fc.tuple(algorithm, spacing, value, fc.constantFrom('', ' ', ' extra')).map(([a, s, v, tail]) => `a=fingerprint:${a}${s}${v}${tail}`);
const junk = fc.constantFrom('a=fingerprint', 'a=fingerprint:', ' a=fingerprint:sha-256 AB', 'a=Fingerprint:sha-256 AB', 'a=x-note:1', 'a=sendonly');
const section = fc.record({
  setup: fc.boolean(),
  lines: fc.array(fc.oneof({ weight: 3, arbitrary: fingerprintLine }, { weight: 1, arbitrary: junk }), { maxLength: 4 }),
});
const offers = fc
  .record({ session: fc.array(fingerprintLine, { maxLength: 2 }), sections: fc.array(section, { minLength: 1, maxLength: 3 }), eol: fc.constantFrom('\r\n', '\n') })
  .map(({ session, sections, eol }) =>
    [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      ...session,
      ...sections.flatMap(({ setup, lines }, index) => [`m=video 9 UDP/TLS/RTP/SAVPF 96`, 'a=rtpmap:96 VP8/90000', `a=mid:${index}`, ...(setup ? ['a=setup:actpass'] : []), ...lines]),
      '',
    ].join(eol),
  );

/** werift's own equality of fingerprints (RTCDtlsTransport's deduplication): coarser than ours. */
const weriftKey = (algorithmName: string, fingerprint: string) => `${algorithmName.trim().toLowerCase().replace(/-/g, '')} ${fingerprint.replace(/[^0-9a-f]/gi, '').toLowerCase()}`;
const ourKeyAsWerift = (read: string) => {
  const space = read.indexOf(' ');
  return weriftKey(read.slice(0, space), read.slice(space + 1));
};

/** What werift verifies a certificate against after this offer: each m-section's DTLS parameters. */
function weriftFingerprints(sdp: string): string[] | null {
  let parsed: SessionDescription;
  try {
    parsed = SessionDescription.parse(sdp);
  } catch {
    return null;
  }
  const all = [...parsed.dtlsFingerprints, ...parsed.media.flatMap((media) => media.dtlsParams?.fingerprints ?? [])];
  return all.map(({ algorithm: a, value: v }) => weriftKey(a ?? '', v ?? ''));
}

describe('dtlsFingerprints', () => {
  it('reads every fingerprint werift will verify against (session- and media-level, any spelling)', () => {
    fc.assert(
      fc.property(offers, (sdp) => {
        const ours = new Set(dtlsFingerprints(sdp).map(ourKeyAsWerift));
        const werifts = weriftFingerprints(sdp);
        if (werifts === null) return;
        for (const fingerprint of werifts) expect(ours).toContain(fingerprint);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws; gives distinct fingerprints, sorted', () => {
    fc.assert(
      fc.property(fc.oneof(offers, fc.string({ maxLength: 300, unit: 'grapheme' }), fc.string({ maxLength: 300 })), (sdp) => {
        const read = dtlsFingerprints(sdp);
        expect(read).toEqual([...new Set(read)].sort());
      }),
      { numRuns: 400 },
    );
  });

  it('the same certificate in another case or line ending reads the same; one other hex digit does not', () => {
    fc.assert(
      fc.property(fc.array(hexByte, { minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 63 }), (bytes, digit) => {
        const offer = (hex: string[], eol: string, upper: boolean) =>
          ['v=0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', `a=fingerprint:${upper ? 'SHA-256' : 'sha-256'} ${upper ? hex.join(':').toUpperCase() : hex.join(':')}`, ''].join(eol);
        expect(sameFingerprints(dtlsFingerprints(offer(bytes, '\r\n', true)), dtlsFingerprints(offer(bytes, '\n', false)))).toBe(true);
        const flat = bytes.join('');
        const changed = flat.slice(0, digit) + ((parseInt(flat[digit]!, 16) + 1) % 16).toString(16) + flat.slice(digit + 1);
        const other = changed.match(/../g)!;
        expect(sameFingerprints(dtlsFingerprints(offer(bytes, '\r\n', true)), dtlsFingerprints(offer(other, '\r\n', true)))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('a session-level and a media-level fingerprint both count; no fingerprint reads as none', () => {
    const sdp = ['v=0', 'a=fingerprint:sha-256 AA:BB', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=fingerprint:sha-1 cc:dd', ''].join('\r\n');
    expect(dtlsFingerprints(sdp)).toEqual(['sha-1 ccdd', 'sha-256 aabb']);
    expect(dtlsFingerprints('v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n')).toEqual([]);
  });
});
