import { iceCredentials, iceEntityTag, iceFragmentOf, ifMatchAccepts, parseIceFragment, withNewIce } from '../../src/webrtc/iceFragment';
import { IceFragmentError } from '../../src/errors';

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=mid:0',
  'a=ice-ufrag:OLDu',
  'a=ice-pwd:oldpasswordoldpassword00',
  'a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host',
  'a=end-of-candidates',
  'a=rtpmap:96 VP8/90000',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:1',
  'a=ice-ufrag:OLDu',
  'a=ice-pwd:oldpasswordoldpassword00',
  'a=rtpmap:111 opus/48000/2',
  '',
].join('\r\n');

// RFC 9725's example of an ICE restart fragment, with addresses from documentation ranges.
const RESTART = [
  'a=ice-options:trickle ice2',
  'a=group:BUNDLE 0 1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:0',
  'a=ice-ufrag:ysXw',
  'a=ice-pwd:vw5LmwG4y/e6dPP/zAP9Gp5k',
  'a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1',
  'a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host generation 0 ufrag EsAw network-id 2',
  'a=candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0 ufrag EsAw network-id 1',
  'a=candidate:9 1 udp 2122194687 2001:db8::1 61766 typ host',
  'a=candidate:10 1 udp 2122194687 4f1d7c53-1f34-4fd1-a8a3-3b1c3cbd3c9b.local 61767 typ host',
  '',
].join('\r\n');

describe('trickle ICE fragments (RFC 8840, RFC 9725 section 4.3)', () => {
  it('reads credentials, the first mid and the candidates a UDP/IPv4 server can use', () => {
    const fragment = parseIceFragment(RESTART);
    expect(fragment).toMatchObject({ ufrag: 'ysXw', pwd: 'vw5LmwG4y/e6dPP/zAP9Gp5k', firstMid: '0', endOfCandidates: false, discarded: 2, refused: 1 });
    expect(fragment.candidates.map(({ mid, candidate }) => [mid, candidate.split(' ')[4]])).toEqual([
      ['0', '192.0.2.1'],
      ['0', '198.51.100.2'],
    ]);
  });

  it('takes a bare candidate list with end-of-candidates and LF line ends', () => {
    const fragment = parseIceFragment('a=candidate:1 1 UDP 2130706431 10.0.0.1 5000 typ srflx raddr 0.0.0.0 rport 0\na=end-of-candidates\n');
    expect(fragment).toMatchObject({ ufrag: null, pwd: null, firstMid: null, endOfCandidates: true });
    expect(fragment.candidates).toEqual([
      {
        mid: null,
        candidate: 'candidate:1 1 UDP 2130706431 10.0.0.1 5000 typ srflx raddr 0.0.0.0 rport 0',
        parsed: { foundation: '1', component: 1, transport: 'udp', address: '10.0.0.1', port: 5000, type: 'srflx' },
      },
    ]);
  });

  it.each([
    ['an empty body', '\r\n', /empty/],
    ['a line that is not SDP', 'a=mid:0\r\nhello', /line 2 is not an SDP line/],
    ['a candidate without a type', 'a=candidate:1 1 udp 1 10.0.0.1 5000', /not a valid ICE candidate/],
    ['a candidate with a bad port', 'a=candidate:1 1 udp 1 10.0.0.1 500000 typ host', /not a valid ICE candidate/],
    ['a password too short', 'a=ice-ufrag:abcd\r\na=ice-pwd:short', /ice-pwd must be 22 to 256/],
    ['a password alone', 'a=ice-pwd:0123456789abcdef0123456789', /ice-pwd without ice-ufrag/],
    ['two ICE sessions', 'a=ice-ufrag:abcd\r\nm=audio 9 RTP/AVP 0\r\na=ice-ufrag:efgh', /second, different ice-ufrag/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseIceFragment(text)).toThrow(IceFragmentError);
    expect(() => parseIceFragment(text)).toThrow(message);
  });

  it('names an ICE session by a strong tag that changes with its credentials only', () => {
    const tag = iceEntityTag(OFFER);
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(tag).not.toContain('oldpassword');
    expect(iceEntityTag(OFFER.replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:96 VP8/90000\r\na=sendonly'))).toBe(tag);
    expect(iceEntityTag(OFFER.replaceAll('oldpasswordoldpassword00', 'newpasswordnewpassword00'))).not.toBe(tag);
  });

  it('matches If-Match by strong comparison, with * matching any ICE session', () => {
    expect(ifMatchAccepts('*', '"a"')).toBe(true);
    expect(ifMatchAccepts('"a"', '"a"')).toBe(true);
    expect(ifMatchAccepts('"b", "a"', '"a"')).toBe(true);
    expect(ifMatchAccepts('W/"a"', '"a"')).toBe(false);
    expect(ifMatchAccepts('"b"', '"a"')).toBe(false);
  });

  it('puts a restart fragment into the previous description: new credentials everywhere, its candidates only', () => {
    const fragment = parseIceFragment(RESTART);
    const offer = withNewIce(OFFER, { ...fragment, ufrag: 'ysXw', pwd: 'vw5LmwG4y/e6dPP/zAP9Gp5k' });
    expect(iceCredentials(offer)).toEqual({ ufrag: 'ysXw', pwd: 'vw5LmwG4y/e6dPP/zAP9Gp5k' });
    expect(offer).not.toContain('OLDu');
    expect(offer.match(/^a=ice-ufrag:ysXw$/gm)).toHaveLength(2);
    const [, video = '', audio = ''] = offer.split(/\r\n(?=m=)/);
    expect(video.match(/^a=candidate:.*$/gm)).toEqual([`a=${fragment.candidates[0]!.candidate}`, `a=${fragment.candidates[1]!.candidate}`]);
    expect(video).not.toContain('a=end-of-candidates');
    expect(audio).not.toContain('a=candidate');
    expect(offer.endsWith('\r\n')).toBe(true);
  });

  it('describes a description ICE session as a fragment that reads back the same', () => {
    const text = iceFragmentOf(OFFER);
    expect(text.split('\r\n')).toEqual([
      'a=group:BUNDLE 0 1',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=mid:0',
      'a=ice-ufrag:OLDu',
      'a=ice-pwd:oldpasswordoldpassword00',
      'a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host',
      'a=end-of-candidates',
      '',
    ]);
    expect(parseIceFragment(text)).toMatchObject({ ufrag: 'OLDu', firstMid: '0', endOfCandidates: true, candidates: [{ mid: '0' }] });
  });
});
