import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_MAX_PICTURE_PIXELS } from '../../limitsConfig';
import { REPOSITORY_ROOT } from '../../paths';
import { SILENCE_DBOV } from '../audioLevel';
import type { I420Frame } from '../i420Frame';
import type { OpusLevelMeter } from './opusDecoder';
import { i420FromPacked, type VideoCodecName, type VideoDecoder } from './videoDecoder';

/** What `npm install` (or `npm run build:native`) builds from native/decoders/src/decoder.cc. */
export const NATIVE_ADDON_PATH = path.join(REPOSITORY_ROOT, 'native', 'decoders', 'build', 'native_decoders.node');

/** The addon's surface (native/decoders/src/decoder.cc). */
interface NativeAddon {
  codecs: string[];
  /** Pictures over maxPicturePixels (absent or 0: no limit) are refused before the library allocates for them where it can: dav1d, libvpx key frames. */
  Decoder: new (codec: string, maxPicturePixels?: number) => {
    /**
     * The last picture the data made, tightly packed I420, written into `target` when it is large
     * enough, else into a new buffer; null if none.
     */
    decode(data: Uint8Array, target?: Uint8Array): { width: number; height: number; data: Uint8Array } | null;
    /** Idempotent. */
    close(): void;
  };
  OpusLevelMeter: new () => {
    /** Decodes one Opus packet (the stream's next) and gives the RMS of its samples in dBov, floored at -127. */
    level(data: Uint8Array): number;
    /** Idempotent. */
    close(): void;
  };
}

const ADDON_CODEC: Record<VideoCodecName, string> = { VP8: 'vp8', VP9: 'vp9', H264: 'h264', AV1: 'av1' };

const loaded = new Map<string, NativeAddon | Error>();

/** The addon (a build of it at `file`), loaded once per thread; an Error saying why when it cannot be. */
export function loadNativeAddon(file = NATIVE_ADDON_PATH): NativeAddon | Error {
  let addon = loaded.get(file);
  if (!addon) {
    addon = load(file);
    loaded.set(file, addon);
  }
  return addon;
}

function load(file: string): NativeAddon | Error {
  const name = path.relative(process.cwd(), file);
  if (!existsSync(file)) return new Error(`${name} is not built (npm run build:native)`);
  try {
    return require(file) as NativeAddon;
  } catch (error) {
    // A shared library missing at run time (libvpx, libdav1d, libopenh264) shows here.
    return new Error(`${name} does not load: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Picture buffers a decoder keeps for reuse: enough for a picture being decoded and a few being analysed. */
const SPARE_BUFFERS = 3;

/**
 * One stream's decoder in native code: VP8 and VP9 by libvpx, H264 (every profile WebRTC sends)
 * by OpenH264, AV1 (one temporal unit per call) by dav1d, linked from the system's libraries.
 * Runs synchronously in the calling thread.
 *
 * Each picture is copied out of the decoder into memory of its own, which the caller owns until
 * it gives it back with recycle(): the next pictures are then written into it instead of into
 * new buffers (a 640x480 picture is 460 KB: 30 a second per stream would otherwise be garbage).
 */
export class NativeDecoder implements VideoDecoder {
  private readonly decoder: InstanceType<NativeAddon['Decoder']>;
  /** Buffers of pictures given back, ready for the next ones. */
  private readonly spare: Uint8Array[] = [];
  /** Each picture handed out, with the buffer its planes are in. */
  private readonly buffers = new WeakMap<I420Frame, Uint8Array>();

  /** `maxPicturePixels`: MAX_PICTURE_PIXELS, a second line behind the size check before decoding (VideoProcessor). */
  constructor(codec: VideoCodecName, maxPicturePixels = DEFAULT_MAX_PICTURE_PIXELS) {
    const addon = loadNativeAddon();
    if (addon instanceof Error) throw addon;
    this.decoder = new addon.Decoder(ADDON_CODEC[codec], maxPicturePixels);
  }

  decode(data: Uint8Array, _keyframe?: boolean): I420Frame | null {
    // An empty frame carries nothing (and would flush the decoder).
    if (data.length === 0) return null;
    const target = this.spare.pop();
    let decoded;
    try {
      decoded = this.decoder.decode(data, target);
    } finally {
      // Not written into (no picture, an error, or too small for it): still spare.
      if (target && decoded?.data !== target) this.spare.push(target);
    }
    if (!decoded) return null;
    const picture = i420FromPacked(decoded.width, decoded.height, decoded.data);
    this.buffers.set(picture, decoded.data);
    return picture;
  }

  recycle(picture: I420Frame): void {
    const buffer = this.buffers.get(picture);
    if (!buffer) return;
    this.buffers.delete(picture);
    if (this.spare.length < SPARE_BUFFERS) this.spare.push(buffer);
  }

  close(): void {
    this.decoder.close();
  }
}

/** One Opus stream's levels, decoded by libopus in native code; the samples stay there. */
export class NativeOpusLevelMeter implements OpusLevelMeter {
  private readonly meter: InstanceType<NativeAddon['OpusLevelMeter']>;

  constructor() {
    const addon = loadNativeAddon();
    if (addon instanceof Error) throw addon;
    this.meter = new addon.OpusLevelMeter();
  }

  level(packet: Uint8Array): number {
    // An empty packet carries nothing (libopus would conceal a lost one).
    return packet.length === 0 ? SILENCE_DBOV : this.meter.level(packet);
  }

  close(): void {
    this.meter.close();
  }
}
