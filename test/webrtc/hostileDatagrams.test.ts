/**
 * What werift does with datagrams from the network before any session sees them
 * (patches/werift+0.25.2+003+dtls-datagram-parsing, +004+ice-stun-auth and
 * +007+dtls-early-handshake-records), part by part, with fast-check over arbitrary bytes:
 * - the early-record filter keeps only whole plaintext DTLS handshake records of the ICE peer;
 * - the DTLS socket drops a datagram holding no whole record (one 0x16 byte threw);
 * - a STUN request without our ufrag and a valid MESSAGE-INTEGRITY is dropped unanswered
 *   (no reflection, no role switch, no peer-reflexive candidate), one with them is answered;
 * - data from an address that passed no ICE check never reaches DTLS or SRTP.
 * Each refusal is counted (refusals: udp_datagram, dtls_early_record, stun_request).
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { DtlsServer, earlyRecordProblem, RTCDtlsTransport, type Connection, type RTCPeerConnection } from 'werift';
import { refusals } from '../../src/limits/refusals';
import { answerAsDtlsServer } from '../../src/webrtc/dtlsRole';
import { countTransportRefusals } from '../../src/webrtc/transportRefusals';
import { junkDatagram, JUNK_KINDS, prng, stunRequest } from '../helpers/junkDatagrams';
import { captureLogs } from '../helpers/logCapture';
import { closePeers, connected, negotiatePeers } from '../helpers/loopbackPeers';

type Address = readonly [string, number];
/** werift's UDP STUN protocol, with its (private) entry for each datagram received. */
interface UdpProtocol {
  datagramReceived(data: Buffer, addr: Address): void;
  sendStun(message: unknown, addr: Address): Promise<void>;
}
const STRANGER: Address = ['127.0.0.1', 9];
/** Enough runs to meet every shape; the file stays within a few seconds. */
const RUNS = 300;

const { logger, logs } = captureLogs();
countTransportRefusals(logger);

beforeEach(() => {
  refusals.take();
});

/** A plaintext DTLS record (RFC 6347 4.1) of `type` carrying `fragment`. */
function record(type: number, fragment: Uint8Array, epoch = 0): Buffer {
  const header = Buffer.alloc(13);
  header[0] = type;
  header.writeUInt16BE(0xfefd, 1);
  header.writeUInt16BE(epoch, 3);
  header.writeUInt16BE(fragment.length, 11);
  return Buffer.concat([header, fragment]);
}

const fragment = fc.uint8Array({ minLength: 1, maxLength: 300 });
const handshakeRecords = fc.array(fragment, { minLength: 1, maxLength: 4 }).map((fragments) => fragments.map((f) => record(22, f)));
const handshakeFlight = handshakeRecords.map((records) => Buffer.concat(records));

/** Where the records of a flight end: a cut there leaves whole records. */
function recordEnds(records: Buffer[]): number[] {
  let end = 0;
  return records.map((r) => (end += r.length));
}
const anyDatagram = fc.oneof(
  fc.uint8Array({ maxLength: 1500 }).map((bytes) => Buffer.from(bytes)),
  fc.tuple(handshakeFlight, fc.nat()).map(([flight, cut]) => flight.subarray(0, cut % (flight.length + 1))),
  fc.constantFrom(...JUNK_KINDS).chain((kind) => fc.integer().map((seed) => junkDatagram(kind, prng(seed)))),
);

describe('the early-record filter (earlyRecordProblem)', () => {
  it('keeps whole plaintext handshake flights', () => {
    fc.assert(fc.property(handshakeFlight, (flight) => earlyRecordProblem(flight) === null), { numRuns: RUNS });
  });

  it('refuses any flight cut short, and never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(handshakeRecords, fc.nat(), (records, cut) => {
        const flight = Buffer.concat(records);
        const at = cut % flight.length;
        fc.pre(!recordEnds(records).includes(at));
        return earlyRecordProblem(flight.subarray(0, at)) !== null;
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(anyDatagram, (datagram) => {
        const problem = earlyRecordProblem(datagram);
        return problem === null || typeof problem === 'string';
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses one 0x16 byte, a header alone, other content types, encrypted records, trailing bytes', () => {
    expect(earlyRecordProblem(Buffer.from([0x16]))).toMatch(/shorter than a DTLS record header/);
    expect(earlyRecordProblem(record(22, Buffer.alloc(0)))).toMatch(/length/);
    expect(earlyRecordProblem(record(21, Buffer.from([1, 0])))).toMatch(/content type 21/);
    expect(earlyRecordProblem(record(22, Buffer.from([1]), 1))).toMatch(/epoch/);
    expect(earlyRecordProblem(Buffer.concat([record(22, Buffer.from([1])), Buffer.from([0x16])]))).toMatch(/trailing/);
  });
});

describe('the DTLS socket (patches 001 input-refusals, 003 dtls-datagram-parsing)', () => {
  it('drops (and counts) every datagram holding no whole record, and throws on none', async () => {
    const certificate = await RTCDtlsTransport.SetupCertificate();
    const transport = { onData: (_: Buffer) => {}, send: async () => {}, close: () => {}, address: {} };
    const server = new DtlsServer({
      cert: certificate.certPem,
      key: certificate.privateKey,
      signatureHash: certificate.signatureHash,
      transport: transport as never,
      srtpProfiles: [],
      certificateRequest: true,
    });
    try {
      expect(() => transport.onData(Buffer.from([0x16]))).not.toThrow();
      expect(refusals.take()).toEqual({ udp_datagram: 1 });
      fc.assert(
        fc.property(anyDatagram, (datagram) => {
          transport.onData(datagram);
        }),
        { numRuns: RUNS },
      );
      expect(refusals.take()?.udp_datagram).toBeGreaterThan(0);
      expect(logs.some((entry) => entry.message === 'Datagram refused at an ICE port' && entry.resource === 'udp_datagram')).toBe(true);
    } finally {
      server.close();
    }
  });
});

describe('an ICE port under STUN and junk from a stranger (patch 004 ice-stun-auth)', () => {
  let peers: RTCPeerConnection[] = [];
  afterEach(async () => {
    await closePeers(...peers);
    peers = [];
  });

  /** Two werift peers connected on loopback; the answerer's ICE connection and its UDP protocol. */
  async function connectedAnswerer() {
    const { offerer, answerer } = await negotiatePeers({ beforeAnswer: answerAsDtlsServer });
    peers = [offerer, answerer];
    await Promise.all([connected(offerer), connected(answerer)]);
    const connection = answerer.iceTransports[0]!.connection as Connection;
    const protocol = (connection as unknown as { protocols: UdpProtocol[] }).protocols[0]!;
    return { connection, protocol };
  }

  /** A Binding request from the offerer's side, signed with `password`. */
  function signedRequest(username: string, password: string): Buffer {
    const random = prng(1);
    const unsigned = stunRequest([[0x0006, Buffer.from(username)]], random);
    unsigned.writeUInt16BE(unsigned.readUInt16BE(2) + 24, 2);
    const mac = createHmac('sha1', password).update(unsigned).digest();
    return Buffer.concat([unsigned, Buffer.from([0x00, 0x08, 0x00, 0x14]), mac]);
  }

  it('answers no request without valid credentials, learns nothing from it, and drops data from that address', async () => {
    const { connection, protocol } = await connectedAnswerer();
    const sent = jest.spyOn(protocol, 'sendStun');
    const delivered = jest.fn();
    connection.onData.subscribe(delivered);
    const [candidates, controlling] = [connection.remoteCandidates.length, connection.iceControlling];
    const stunShapes = JUNK_KINDS.filter((kind) => kind.startsWith('stun_'));

    fc.assert(
      fc.property(fc.constantFrom(...stunShapes), fc.integer(), fc.nat(65535), (kind, seed, port) => {
        protocol.datagramReceived(junkDatagram(kind, prng(seed), connection.localUsername), ['127.0.0.1', port]);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(anyDatagram, (datagram) => {
        protocol.datagramReceived(datagram, STRANGER);
      }),
      { numRuns: RUNS },
    );

    expect(sent).not.toHaveBeenCalled();
    expect(delivered).not.toHaveBeenCalled();
    expect([connection.remoteCandidates.length, connection.iceControlling]).toEqual([candidates, controlling]);
    const refused = refusals.take();
    expect(refused?.stun_request).toBeGreaterThan(0);
    expect(refused?.udp_datagram).toBeGreaterThan(0);
  });

  it('answers a request with our ufrag and password, and takes data from the address it came from', async () => {
    const { connection, protocol } = await connectedAnswerer();
    const sent = jest.spyOn(protocol, 'sendStun');
    const delivered = jest.fn();
    connection.onData.subscribe(delivered);
    const rtp = Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const peer: Address = ['127.0.0.1', 10];

    protocol.datagramReceived(signedRequest(`${connection.localUsername}:x`, 'wrong password'), peer);
    protocol.datagramReceived(rtp, peer);
    expect([sent.mock.calls.length, delivered.mock.calls.length]).toEqual([0, 0]);

    protocol.datagramReceived(signedRequest(`${connection.localUsername}:x`, connection.localPassword), peer);
    expect(sent).toHaveBeenCalledTimes(1);
    expect(sent.mock.calls[0]![1]).toEqual(peer);
    protocol.datagramReceived(rtp, peer);
    expect(delivered).toHaveBeenCalledWith(rtp, peer);
  });

  it('keeps no early DTLS record from an address that passed no ICE check', async () => {
    const { offerer, answerer } = await negotiatePeers({
      beforeAnswer: (pc) => {
        answerAsDtlsServer(pc);
        const transport = pc.dtlsTransports[0]!;
        transport.iceTransport.connection.onData.execute(record(22, Buffer.from([1, 2, 3])), STRANGER);
        transport.iceTransport.connection.onData.execute(Buffer.from([0x16]), STRANGER);
        expect((transport as unknown as { earlyHandshakeRecords: Buffer[] }).earlyHandshakeRecords).toEqual([]);
      },
    });
    peers = [offerer, answerer];
    expect(refusals.take()).toMatchObject({ dtls_early_record: 2 });
  });
});
