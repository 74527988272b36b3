import { Session } from '../../src/counters/session';
import { AudioProcessor } from '../../src/media/audioProcessor';

const opusPacket = (timestamp: number, ssrc?: number) => ({
  header: { timestamp: timestamp >>> 0, marker: false, sequenceNumber: 0, payloadType: 111, ssrc },
  payload: Buffer.from([0xf8, 0xff, 0xfe]),
});

describe('AudioProcessor, a sender that restarts', () => {
  it('goes on counting audio time after the timestamps restart far behind', () => {
    const session = new Session('s');
    const processor = new AudioProcessor('a', session);
    for (let frame = 0; frame < 50; frame++) processor.handleRtp(opusPacket(1_000_000_000 + frame * 960));
    for (let frame = 0; frame < 50; frame++) processor.handleRtp(opusPacket(5000 + frame * 960));
    expect(session.counters()).toMatchObject({ audio_frames: 100, audio_seconds: 2 });
  });

  it('goes on counting audio time from a new SSRC, whatever its timestamps', () => {
    const session = new Session('s');
    const processor = new AudioProcessor('a', session);
    for (let frame = 0; frame < 50; frame++) processor.handleRtp(opusPacket(96_000 + frame * 960, 1));
    for (let frame = 0; frame < 50; frame++) processor.handleRtp(opusPacket(96_000 + frame * 960, 2));
    expect(session.counters()).toMatchObject({ audio_frames: 100, audio_seconds: 2 });
  });

  it('still adds nothing for a packet reordered within a few seconds', () => {
    const session = new Session('s');
    const processor = new AudioProcessor('a', session);
    processor.handleRtp(opusPacket(480_000));
    processor.handleRtp(opusPacket(480_000 - 48_000 * 4));
    processor.handleRtp(opusPacket(480_960));
    expect(session.counters()).toMatchObject({ audio_frames: 3, audio_seconds: 0.04 });
  });
});
