import LibAV from '@libav.js/variant-webm-vp9';

const SAMPLE_RATE = 48_000;
const MONO = 4;

/**
 * Opus packets (20 ms each) of a sine tone, encoded with libopus in wasm: real audio with a
 * known level. A sine of peak amplitude A has an RMS level of 20 log10(A / sqrt 2) dBov.
 */
export async function encodeOpusTone(packets: number, { frequencyHz = 440, amplitude = 0.1 } = {}): Promise<Buffer[]> {
  const libav = await LibAV.LibAV({ noworker: true });
  try {
    libav.av_log_set_level_sync(libav.AV_LOG_QUIET);
    const [, context, frame, packet, frameSize] = await libav.ff_init_encoder('libopus', {
      ctx: { bit_rate: 32_000, sample_fmt: libav.AV_SAMPLE_FMT_FLT, sample_rate: SAMPLE_RATE, channel_layout: MONO, channels: 1 },
      time_base: [1, SAMPLE_RATE],
    });
    const frames = Array.from({ length: packets }, (_, index) => {
      const data = new Float32Array(frameSize);
      for (let n = 0; n < frameSize; n++) data[n] = amplitude * Math.sin((2 * Math.PI * frequencyHz * (index * frameSize + n)) / SAMPLE_RATE);
      return { data, channel_layout: MONO, channels: 1, format: libav.AV_SAMPLE_FMT_FLT, sample_rate: SAMPLE_RATE, pts: index * frameSize };
    });
    const encoded = await libav.ff_encode_multi(context, frame, packet, frames, true);
    await libav.ff_free_encoder(context, frame, packet);
    return encoded.map((item) => Buffer.from(item.data));
  } finally {
    libav.terminate();
  }
}
