import LibAV from '@libav.js/variant-webm-vp9';
import { rmsDbov } from '../audioLevel';

type LibAVInstance = LibAV.LibAV & LibAV.LibAVSync;

/** One Opus stream's level meter: each packet decoded in order, its RMS level in dBov (-127 for silence). */
export interface OpusLevelMeter {
  level(packet: Uint8Array): number;
  close(): void;
}

/** The WebAssembly decoder below as a level meter (the wasm backend's). */
export class WasmOpusLevelMeter implements OpusLevelMeter {
  private constructor(private readonly decoder: OpusDecoder) {}

  static async create(): Promise<WasmOpusLevelMeter> {
    return new WasmOpusLevelMeter(await OpusDecoder.create());
  }

  level(packet: Uint8Array): number {
    return rmsDbov(this.decoder.decode(packet));
  }

  close(): void {
    this.decoder.close();
  }
}

/**
 * Opus through libopus compiled to WebAssembly (libav.js), one wasm instance per stream, run
 * synchronously in the calling thread: create it inside a worker.
 */
export class OpusDecoder {
  private constructor(
    private readonly libav: LibAVInstance,
    private readonly context: number,
    private readonly packet: number,
    private readonly frame: number,
  ) {}

  static async create(): Promise<OpusDecoder> {
    const libav = await LibAV.LibAV({ noworker: true });
    libav.av_log_set_level_sync(libav.AV_LOG_QUIET);
    const [, context, packet, frame] = await libav.ff_init_decoder('libopus');
    return new OpusDecoder(libav, context, packet, frame);
  }

  /** The samples of one Opus packet, every channel, as floats in [-1, 1]; empty for an empty packet. */
  decode(data: Uint8Array): Float32Array[] {
    if (data.length === 0) return [];
    const libav = this.libav;
    libav.ff_copyin_packet_sync(this.packet, { data, pts: 0, ptshi: 0 });
    const sent = libav.avcodec_send_packet_sync(this.context, this.packet);
    libav.av_packet_unref_sync(this.packet);
    if (sent < 0) throw new Error(`Opus packet rejected by the decoder (error ${sent})`);
    const samples: Float32Array[] = [];
    while (libav.avcodec_receive_frame_sync(this.context, this.frame) >= 0) {
      const decoded = libav.ff_copyout_frame_sync(this.frame);
      libav.av_frame_unref_sync(this.frame);
      const planes = Array.isArray(decoded.data) ? decoded.data : [decoded.data];
      for (const plane of planes) samples.push(toFloat(plane as ArrayLike<number>));
    }
    return samples;
  }

  close(): void {
    this.libav.ff_free_decoder_sync(this.context, this.packet, this.frame);
    this.libav.terminate();
  }
}

/** libopus gives floats; integer sample formats are scaled to [-1, 1] all the same. */
function toFloat(plane: ArrayLike<number>): Float32Array {
  if (plane instanceof Float32Array) return plane;
  const scale = plane instanceof Int16Array ? 1 / 32768 : plane instanceof Int32Array ? 1 / 2 ** 31 : 1;
  return Float32Array.from(plane, (sample) => sample * scale);
}
