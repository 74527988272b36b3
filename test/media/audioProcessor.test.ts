import { AUDIO_LEVEL_URI } from '../../src/media/audioLevel';
import { AudioProcessor } from '../../src/media/audioProcessor';
import { Session } from '../../src/counters/session';

const opusPacket = (timestamp: number) => ({
  header: { timestamp: timestamp >>> 0, marker: false, sequenceNumber: 0, payloadType: 111 },
  payload: Buffer.from([0xf8, 0xff, 0xfe]),
});

describe('AudioProcessor', () => {
  it('counts frames and the seconds their RTP timestamps cover', async () => {
    const session = new Session('s');
    const processor = new AudioProcessor('a', session);
    for (let frame = 0; frame < 50; frame++) processor.handleRtp(opusPacket(1000 + frame * 960));
    expect(session.counters()).toMatchObject({ audio_frames: 50, audio_seconds: 1 });
    await processor.stop();
    processor.handleRtp(opusPacket(1000 + 50 * 960));
    expect(session.counters().audio_frames).toBe(50);
  });

  it('counts time across a DTX gap and across the 32-bit timestamp wrap', () => {
    const session = new Session('s');
    const processor = new AudioProcessor('a', session);
    const start = 2 ** 32 - 960;
    processor.handleRtp(opusPacket(start)); // 0.02 s
    processor.handleRtp(opusPacket(start + 960)); // wraps to 0: +0.02 s
    processor.handleRtp(opusPacket(start + 960 + 19_200)); // 400 ms DTX gap: +0.4 s
    expect(session.counters().audio_seconds).toBeCloseTo(0.44, 3);
  });

  it('adds no time for a reordered or duplicated packet, nor a wild jump', () => {
    const session = new Session('s');
    const processor = new AudioProcessor('a', session);
    processor.handleRtp(opusPacket(96_000));
    processor.handleRtp(opusPacket(95_040));
    processor.handleRtp(opusPacket(96_000));
    processor.handleRtp(opusPacket(96_000 + 48_000 * 3600));
    expect(session.counters()).toMatchObject({ audio_frames: 4, audio_seconds: 0.04 });
  });

  it('reports loudness (power mean, dBov) and voice activity from RFC 6464 level indications', () => {
    const session = new Session('s');
    const processor = new AudioProcessor('a', session);
    const level = (value: number, v: boolean) => ({ [AUDIO_LEVEL_URI]: { level: value, v } });
    processor.handleRtp(opusPacket(0), level(10, true));
    processor.handleRtp(opusPacket(960), level(10, true));
    processor.handleRtp(opusPacket(1920), level(127, false));
    processor.handleRtp(opusPacket(2880), level(127, false));
    processor.handleRtp(opusPacket(3840), { [AUDIO_LEVEL_URI]: 'garbage' });
    const { summary } = session.close('tracks_ended', {});
    // Two packets at -10 dBov and two near silence: the power mean is 3 dB under -10.
    expect(summary.audio_level_dbov).toBeCloseTo(-13, 1);
    expect(summary.voice_activity_ratio).toBe(0.5);
    expect(summary.audio_frames).toBe(5);
  });

  it('reports no loudness without level indications', () => {
    const session = new Session('s');
    new AudioProcessor('a', session).handleRtp(opusPacket(0));
    expect(session.close('tracks_ended', {}).summary).toMatchObject({ audio_level_dbov: null, voice_activity_ratio: null });
  });

  it('measures decoded levels with a meter, five packets a message, at most two messages at a time, and prefers them in the summary', async () => {
    const session = new Session('s');
    const pending: Array<{ packets: Buffer[]; resolve: (levels: number[]) => void }> = [];
    let closed = 0;
    const meter = {
      measure: (packets: Buffer[]) => new Promise<number[]>((resolve) => pending.push({ packets, resolve })),
      close: () => closed++,
    };
    const processor = new AudioProcessor('a', session, meter);
    const send = (i: number) => processor.handleRtp(opusPacket(i * 960), { [AUDIO_LEVEL_URI]: { level: 100, v: false } });
    for (let i = 0; i < 4; i++) send(i);
    expect(pending).toHaveLength(0);
    send(4);
    expect(pending.map((batch) => batch.packets.length)).toEqual([5]);
    expect(pending[0]!.packets[4]).toEqual(opusPacket(4 * 960).payload);
    // A second batch goes out; a third, with two still measured, is counted but not measured.
    for (let i = 5; i < 15; i++) send(i);
    expect(pending).toHaveLength(2);
    pending[0]!.resolve([-20, -20, -127, -127, -127]);
    pending[1]!.resolve([-20, -20, -20]); // two of its packets did not decode
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 15; i < 20; i++) send(i);
    expect(pending).toHaveLength(3);
    // Stopping sends the last three packets and waits for every batch in flight.
    for (let i = 20; i < 23; i++) send(i);
    pending[2]!.resolve([-127, -127, -127, -127, -127]);
    let stopped = false;
    const stopping = processor.stop().then(() => (stopped = true));
    expect(pending.map((batch) => batch.packets.length)).toEqual([5, 5, 5, 3]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    pending[3]!.resolve([-127, -127, -127]);
    await stopping;
    await processor.stop();
    expect(closed).toBe(1);

    const { summary } = session.close('tracks_ended', {});
    // Sixteen levels measured, five of them voice at -20 dBov: mean power 5/16 of -20 dBov's.
    expect(summary).toMatchObject({ audio_frames: 23, audio_level_source: 'decoded', voice_activity_ratio: 0.313 }); // 5/16, to three places
    expect(summary.audio_level_dbov).toBeCloseTo(-20 + 10 * Math.log10(5 / 16), 1);
  });
});

