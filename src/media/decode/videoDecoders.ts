import { H264Decoder } from './h264Decoder';
import { LibvpxDecoder } from './libvpxDecoder';
import { loadNativeAddon, NativeDecoder, NativeOpusLevelMeter } from './nativeDecoder';
import { WasmOpusLevelMeter, type OpusLevelMeter } from './opusDecoder';
import type { DecoderChoice } from '../../config/analysisSettings';
import type { ReceivedVideo } from '../../webrtc/receivedVideo';
import type { VideoCodecName, VideoDecoder } from './videoDecoder';

/** The decoder implementations the server can run (DECODER). */
export type DecoderBackendName = 'native' | 'wasm';

/**
 * A decoder implementation, and what it decodes: its video codecs, in the order the server
 * prefers them, and of H264 its profiles. That is what the server offers to receive.
 */
export interface DecoderBackend extends ReceivedVideo {
  name: DecoderBackendName;
  /**
   * A new decoder for one stream of `codec`. `maxPicturePixels` (MAX_PICTURE_PIXELS) is the
   * native decoders' own limit; the wasm decoders have none (the server checks every frame's
   * picture sizes before any decoder sees it: VideoProcessor).
   */
  create(codec: VideoCodecName, maxPicturePixels?: number): Promise<VideoDecoder>;
  /** A new level meter for one Opus stream. */
  createOpusLevelMeter(): Promise<OpusLevelMeter>;
}

const BACKENDS: Record<DecoderBackendName, DecoderBackend> = {
  /**
   * The system's libvpx (VP8, VP9), OpenH264 (H264 up to high profile, as WebRTC sends it: no
   * interlace, 8-bit 4:2:0) and dav1d (AV1) through an addon of this repository (native/decoders);
   * Opus levels by libopus.
   */
  native: {
    name: 'native',
    videoCodecs: ['VP8', 'VP9', 'H264', 'AV1'],
    h264Profiles: ['constrained baseline', 'baseline', 'main', 'constrained high', 'high'],
    create: async (codec, maxPicturePixels) => new NativeDecoder(codec, maxPicturePixels),
    createOpusLevelMeter: async () => new NativeOpusLevelMeter(),
  },
  /**
   * Always available: libvpx in WebAssembly (libav.js) for VP8 and VP9, h264bsd in WebAssembly
   * for H264 constrained baseline, libopus in WebAssembly for Opus levels. No AV1.
   */
  wasm: {
    name: 'wasm',
    videoCodecs: ['VP8', 'VP9', 'H264'],
    h264Profiles: ['constrained baseline'],
    create: (codec) => {
      if (codec === 'H264') return Promise.resolve(new H264Decoder());
      if (codec === 'AV1') return Promise.reject(new Error('the wasm decoders do not decode AV1'));
      return LibvpxDecoder.create(codec);
    },
    createOpusLevelMeter: () => WasmOpusLevelMeter.create(),
  },
};

export function decoderBackend(name: DecoderBackendName): DecoderBackend {
  return BACKENDS[name];
}

/** What DECODER asks for, named with the settings (read without loading a decoder). */
export type { DecoderChoice };

export interface ChosenBackend {
  backend: DecoderBackend;
  /** Why 'auto' fell back to wasm (absent otherwise). */
  fallbackReason?: string;
}

/** Resolves DECODER at start; a native backend asked for by name that cannot load is an error. */
export function chooseDecoderBackend(choice: DecoderChoice, addonFile?: string): ChosenBackend {
  if (choice === 'wasm') return { backend: BACKENDS.wasm };
  const addon = loadNativeAddon(addonFile);
  if (!(addon instanceof Error)) return { backend: BACKENDS.native };
  if (choice === 'native') throw new Error(`DECODER=native: ${addon.message}`);
  return { backend: BACKENDS.wasm, fallbackReason: addon.message };
}

/** The backends that run here: native when it loads, and wasm always. */
export function availableDecoderBackends(): DecoderBackendName[] {
  return loadNativeAddon() instanceof Error ? ['wasm'] : ['native', 'wasm'];
}
