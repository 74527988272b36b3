import LibAV from '@libav.js/variant-webm-vp9';
import type { I420Frame } from '../i420Frame';
import { i420FromPacked, type VideoDecoder } from './videoDecoder';

const AV_PIX_FMT_YUV420P = 0;
const AV_PKT_FLAG_KEY = 1;

type LibAVInstance = LibAV.LibAV & LibAV.LibAVSync;

/** libav.js's names of libvpx's decoders. */
const LIBVPX_DECODER = { VP8: 'libvpx', VP9: 'libvpx-vp9' } as const;

/**
 * VP8 or VP9 through libvpx compiled to WebAssembly (libav.js). Each decoder has its own wasm
 * instance, run synchronously in the calling thread: create it inside a worker.
 */
export class LibvpxDecoder implements VideoDecoder {
  private frameIndex = 0;

  private constructor(
    private readonly codec: keyof typeof LIBVPX_DECODER,
    private readonly libav: LibAVInstance,
    private readonly context: number,
    private readonly packet: number,
    private readonly frame: number,
  ) {}

  static async create(codec: keyof typeof LIBVPX_DECODER = 'VP8'): Promise<LibvpxDecoder> {
    const libav = await LibAV.LibAV({ noworker: true });
    libav.av_log_set_level_sync(libav.AV_LOG_QUIET);
    const [, context, packet, frame] = await libav.ff_init_decoder(LIBVPX_DECODER[codec]);
    return new LibvpxDecoder(codec, libav, context, packet, frame);
  }

  decode(data: Uint8Array, keyframe: boolean): I420Frame | null {
    // An empty packet means end of stream to libavcodec: it would answer EOF from then on.
    if (data.length === 0) return null;
    const libav = this.libav;
    libav.ff_copyin_packet_sync(this.packet, { data, pts: this.frameIndex++, ptshi: 0, flags: keyframe ? AV_PKT_FLAG_KEY : 0 });
    const sent = libav.avcodec_send_packet_sync(this.context, this.packet);
    libav.av_packet_unref_sync(this.packet);
    if (sent < 0) throw new Error(`${this.codec} frame rejected by the decoder (error ${sent})`);
    let picture: I420Frame | null = null;
    while (libav.avcodec_receive_frame_sync(this.context, this.frame) >= 0) {
      const packed = libav.ff_copyout_frame_video_packed_sync(this.frame);
      libav.av_frame_unref_sync(this.frame);
      if (packed.format !== AV_PIX_FMT_YUV420P || !packed.width || !packed.height) {
        throw new Error(`${this.codec} decoder gave pixel format ${packed.format} ${packed.width}x${packed.height}, expected I420`);
      }
      picture = i420FromPacked(packed.width, packed.height, packed.data as Uint8Array);
    }
    return picture;
  }

  close(): void {
    this.libav.ff_free_decoder_sync(this.context, this.packet, this.frame);
    this.libav.terminate();
  }
}
