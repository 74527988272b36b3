import type { RTCPeerConnection } from 'werift';
import { checkDtlsRecordNumbering, resetsBeforeFinished } from '../../src/webrtc/dtlsRecordNumbers';
import { captureDtlsRecords, recordNumberingProblems, type DtlsCapture, type DtlsRecord } from '../helpers/dtlsRecords';
import { loopbackConfig } from '../helpers/loopbackServer';
import { finishTestServer, serverConnection, startTestServer, type TestServer } from '../helpers/testServer';

const APPLICATION_DATA = 23;
const MESSAGES = 25;

function icePort(pc: RTCPeerConnection): number {
  const pair = pc.iceTransports[0]?.connection.nominated;
  if (!pair) throw new Error('no nominated candidate pair');
  return pair.localCandidate.port;
}

function header(record: DtlsRecord) {
  return { type: record.contentType, epoch: record.epoch, seq: record.sequenceNumber };
}

describe('DTLS record numbers on the wire (patch 002 dtls-record-numbers)', () => {
  let server: TestServer;
  let capture: DtlsCapture;

  beforeEach(async () => {
    capture = captureDtlsRecords();
    // 25 messages at once and then end_stream: above the default CLIENT_MESSAGES_PER_SECOND, which
    // would drop the end_stream (the budget is tested in test/peer/clientMessageFlood.test.ts).
    server = await startTestServer({ mediaWorkers: 0, limits: { ...loopbackConfig().limits, clientMessagesPerSecond: 1000 } });
  });

  afterEach(async () => {
    capture.stop();
    await finishTestServer(server);
  });

  it('never repeats an (epoch, sequence number) pair, on the server or on the client, over 25+ data channel messages each way', async () => {
    const { client, peer } = await server.connect();
    const ports = { server: icePort(serverConnection(peer)), client: icePort(client.peerConnection) };
    // The client's messages each take a record from the client and an SCTP SACK record from
    // the server; the server's own events (session_started, stream_closed) add more.
    for (let i = 0; i < MESSAGES; i++) client.sendMessage({ type: 'ping', sequence: i });
    await client.sendAudioFrames(5, { intervalMs: 5 });
    client.sendMessage({ type: 'end_stream' });
    const closed = await client.waitForStreamClosed(5000);
    expect(closed.reason).toBe('client_request');
    await peer.released;

    for (const side of ['server', 'client'] as const) {
      const records = capture.sentFrom(ports[side]);
      const applicationRecords = records.filter((record) => record.contentType === APPLICATION_DATA);
      expect({ side, applicationRecords: applicationRecords.length >= 20 }).toEqual({ side, applicationRecords: true });
      expect({ side, problems: recordNumberingProblems(records) }).toEqual({ side, problems: [] });
      // The Finished is the first record of epoch 1; application data numbers continue after it.
      const firstOfEpoch1 = records.find((record) => record.epoch === 1)!;
      expect({ side, first: header(firstOfEpoch1) }).toEqual({ side, first: { type: 22, epoch: 1, seq: firstOfEpoch1.sequenceNumber } });
      expect(applicationRecords[0]!.sequenceNumber).toBeGreaterThan(firstOfEpoch1.sequenceNumber);
    }
  });
});

describe('recordNumberingProblems', () => {
  const record = (epoch: number, sequenceNumber: number, fill = sequenceNumber): DtlsRecord => ({
    port: 1,
    contentType: APPLICATION_DATA,
    epoch,
    sequenceNumber,
    bytes: Buffer.from([epoch, sequenceNumber, fill]),
  });

  it('finds the repeat werift 0.25.2 made: a later record with the Finished’s number', () => {
    const records = [record(0, 5), record(1, 6, 99), record(1, 1), record(1, 2), record(1, 6)];
    expect(recordNumberingProblems(records)).toEqual([
      'epoch 1: seq 1 after seq 6',
      'epoch 1: seq 2 after seq 6',
      '(epoch 1, seq 6) used twice (content type 23)',
      'epoch 1: seq 6 after seq 6',
    ]);
  });

  it('takes a byte-identical copy for a retransmission, and a new epoch restarting at 1 for correct', () => {
    expect(recordNumberingProblems([record(0, 1), record(0, 2), record(0, 2), record(1, 1), record(1, 2)])).toEqual([]);
  });
});

describe('checkDtlsRecordNumbering', () => {
  it('finds the installed werift patched', () => {
    expect(checkDtlsRecordNumbering()).toEqual({ fixed: true, unpatched: [] });
  });

  it('tells the fixed order of sendFinished from the defective one', () => {
    const defective = 'sendFinished() { this.dtls.epoch = 1; const [packet] = this.createPacket([finish]); this.dtls.recordSequenceNumber = 0; }';
    const fixed = 'sendFinished() { this.dtls.epoch = 1; this.dtls.recordSequenceNumber = 0; const [packet] = this.createPacket([finish]); }';
    expect(resetsBeforeFinished(defective)).toBe(false);
    expect(resetsBeforeFinished(fixed)).toBe(true);
    expect(resetsBeforeFinished('something else')).toBe(false);
  });
});
