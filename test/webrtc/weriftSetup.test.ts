/**
 * What patches/werift+0.25.2+006+ice-check-pacing and +007+dtls-early-handshake-records change
 * about connection setup, seen between two real werift peers on loopback (the answerer answers
 * a=setup:passive, as the server does):
 * - a ClientHello that arrives before the DTLS server has started is kept and answered, not
 *   dropped until the client retransmits it;
 * - the DTLS client sends its ClientHello at once (no fixed 100 ms wait);
 * - a pause between ICE checks ends when the check list completes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DtlsClient, type RTCDtlsTransport, type RTCPeerConnection } from 'werift';
import { answerAsDtlsServer } from '../../src/webrtc/dtlsRole';
import { captureDtlsRecords, type DtlsCapture, type DtlsRecord } from '../helpers/dtlsRecords';
import { closePeers, connected, negotiatePeers } from '../helpers/loopbackPeers';

const HANDSHAKE = 22;
const CLIENT_HELLO = 1;

interface EarlyRecords {
  earlyHandshakeRecords: Buffer[];
  takeEarlyHandshakeRecords(): Buffer[];
}

function early(transport: RTCDtlsTransport): EarlyRecords {
  return transport as unknown as EarlyRecords;
}

function isClientHello(record: DtlsRecord): boolean {
  return record.contentType === HANDSHAKE && record.epoch === 0 && record.bytes[13] === CLIENT_HELLO;
}

function localPort(pc: RTCPeerConnection): number {
  const pair = pc.iceTransports[0]?.connection.nominated;
  if (!pair) throw new Error('no nominated pair');
  return pair.localCandidate.port;
}

/** The client's ClientHellos sent before the server's first DTLS record. */
function clientHellosBeforeServerAnswered(capture: DtlsCapture, client: RTCPeerConnection, server: RTCPeerConnection): number {
  const [clientPort, serverPort] = [localPort(client), localPort(server)];
  const firstFromServer = capture.records.findIndex((record) => record.port === serverPort);
  return capture.records.slice(0, firstFromServer).filter((record) => record.port === clientPort && isClientHello(record)).length;
}

/** The answerer's DTLS transport starts `delayMs` after its ICE is connected. */
function delayDtlsStart(answerer: RTCPeerConnection, delayMs: number): void {
  for (const transport of answerer.dtlsTransports) {
    const start = transport.start.bind(transport);
    transport.start = async () => {
      await sleep(delayMs);
      return start();
    };
  }
}

describe('werift setup (patches 006 ice-check-pacing, 007 dtls-early-handshake-records)', () => {
  let peers: RTCPeerConnection[] = [];
  let capture: DtlsCapture | null = null;
  afterEach(async () => {
    capture?.stop();
    capture = null;
    await closePeers(...peers);
    peers = [];
  });

  it('keeps a ClientHello that arrives before the DTLS server starts and answers it without a retransmission', async () => {
    capture = captureDtlsRecords();
    const { offerer, answerer } = await negotiatePeers({
      beforeAnswer: (pc) => {
        answerAsDtlsServer(pc);
        delayDtlsStart(pc, 200);
      },
    });
    peers = [offerer, answerer];
    await Promise.all([connected(offerer), connected(answerer)]);
    expect(clientHellosBeforeServerAnswered(capture, offerer, answerer)).toBe(1);
  });

  it('(the same without keeping early records: the server answers only the retransmitted ClientHello)', async () => {
    capture = captureDtlsRecords();
    const { offerer, answerer } = await negotiatePeers({
      beforeAnswer: (pc) => {
        answerAsDtlsServer(pc);
        delayDtlsStart(pc, 200);
        for (const transport of pc.dtlsTransports) {
          const take = early(transport).takeEarlyHandshakeRecords.bind(transport);
          early(transport).takeEarlyHandshakeRecords = () => {
            take();
            return [];
          };
        }
      },
    });
    peers = [offerer, answerer];
    await Promise.all([connected(offerer), connected(answerer)]);
    expect(clientHellosBeforeServerAnswered(capture, offerer, answerer)).toBe(2);
  });

  it('keeps DTLS handshake records of the ICE peer only, at most 8, and nothing once they were taken', async () => {
    const { offerer, answerer } = await negotiatePeers({
      beforeAnswer: (pc) => {
        answerAsDtlsServer(pc);
        const transport = pc.dtlsTransports[0]!;
        const peer = ['127.0.0.1', 40000] as const;
        (transport.iceTransport.connection as unknown as { noteVerifiedRemote(addr: readonly [string, number]): void }).noteVerifiedRemote(peer);
        // A whole record: type, version 0xfefd, epoch 0, sequence number, length 1, one byte.
        const record = (first: number) => Buffer.from([first, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
        const deliver = (first: number) => transport.iceTransport.connection.onData.execute(record(first), peer);
        for (let i = 0; i < 20; i++) deliver(HANDSHAKE);
        deliver(23);
        expect(early(transport).takeEarlyHandshakeRecords().map((record) => record[0])).toEqual(Array(8).fill(HANDSHAKE));
        deliver(HANDSHAKE);
        expect(early(transport).earlyHandshakeRecords).toEqual([]);
      },
    });
    peers = [offerer, answerer];
  });

  it('starts the DTLS client’s handshake as soon as its transport starts', async () => {
    const connect = jest.spyOn(DtlsClient.prototype, 'connect');
    try {
      let calledByNextTurn: number | null = null;
      const { offerer, answerer } = await negotiatePeers({
        beforeAnswer: answerAsDtlsServer,
        beforeApplyingAnswer: (pc) => {
          pc.dtlsTransports[0]!.onStateChange.subscribe((state) => {
            if (state === 'connecting') setImmediate(() => (calledByNextTurn = connect.mock.calls.length));
          });
        },
      });
      peers = [offerer, answerer];
      await Promise.all([connected(offerer), connected(answerer)]);
      expect(calledByNextTurn).toBe(1);
    } finally {
      connect.mockRestore();
    }
  });

  it('ends a pause between ICE checks when the check list completes (both sides paced by a minute still connect)', async () => {
    const slowPacing = (pc: RTCPeerConnection) => {
      const connection = pc.iceTransports[0]!.connection as unknown as { paceChecks: (ms: number) => Promise<void> };
      const pace = connection.paceChecks.bind(connection);
      connection.paceChecks = () => pace(60_000);
    };
    const { offerer, answerer } = await negotiatePeers({
      beforeAnswer: (pc) => {
        answerAsDtlsServer(pc);
        slowPacing(pc);
      },
      beforeApplyingAnswer: slowPacing,
    });
    peers = [offerer, answerer];
    await Promise.all([connected(offerer), connected(answerer)]);
  });
});
