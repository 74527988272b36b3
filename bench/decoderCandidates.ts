/**
 * The decoder backends the comparison knows (bench/decoderBackends.bench.ts): how to load each
 * one, open a decoder for a clip and get every picture back as tightly packed I420 in JS
 * memory, what it decodes with, and the licence facts checked for it. Candidates that are not
 * dependencies are found in the repo's node_modules or in the folders DECODER_BENCH_MODULES
 * lists (colon-separated, each with a node_modules); the server's native addon at
 * native/decoders/build/native_decoders.node (npm run build:native), or the build DECODER_BENCH_ADDON names.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { EncodedVideoFrame } from '../client/videoFile';
import { NATIVE_ADDON_PATH } from '../src/media/decode/nativeDecoder';
import { i420FromPacked } from '../src/media/decode/videoDecoder';
import { chromaSize, type I420Frame } from '../src/media/i420Frame';
import type { Clip, ClipCodec } from './decoderClips';

/** One open decoder: frames in stream order, a picture back (or null when none came out). */
export interface DecoderSession {
  decode(frame: EncodedVideoFrame, index: number): Promise<I420Frame | null> | I420Frame | null;
  close(): Promise<void> | void;
}

export interface Backend {
  open(clip: Clip): Promise<DecoderSession>;
}

export interface Candidate {
  id: string;
  title: string;
  /** The module loaded: an npm package name, or a folder (the addon). */
  module: string;
  /** Packages whose folders make up the install size (the module's own and its binaries). */
  packages: string[];
  minNodeMajor: number;
  /** Decoder used per clip name; clips not listed are not offered by the candidate. */
  decoders: Record<string, string>;
  licence: { package: string; binaries: string };
  load(load: (name: string) => unknown): Promise<Backend>;
}

type Loaded = any; // candidates are optional packages: untyped here

/** The native addon's build (a .node file). */
export const NATIVE_ADDON = process.env.DECODER_BENCH_ADDON ?? NATIVE_ADDON_PATH;

/** The module's path and a require that loads it, from the repo or DECODER_BENCH_MODULES; null when absent. */
export function findModule(name: string): { path: string; load: (id: string) => unknown } | null {
  const roots = [join(__dirname, '..'), ...(process.env.DECODER_BENCH_MODULES ?? '').split(':').filter(Boolean)];
  for (const root of roots) {
    const requireHere = createRequire(join(root, 'package.json'));
    try {
      return { path: requireHere.resolve(name), load: requireHere };
    } catch {
      // not installed under this root
    }
  }
  return null;
}

/** Strided planes (any line size) to a tightly packed I420 frame owned by JS. */
function packPlanes(width: number, height: number, planes: readonly Uint8Array[], strides: readonly number[]): I420Frame {
  const copy = (plane: Uint8Array, stride: number, w: number, h: number) => {
    // A copy even when Buffer (whose slice() is a view): node-av's planes point into the decoder's frame.
    if (stride === w) return new Uint8Array(plane.subarray(0, w * h));
    const out = new Uint8Array(w * h);
    for (let row = 0; row < h; row++) out.set(plane.subarray(row * stride, row * stride + w), row * w);
    return out;
  };
  const cw = chromaSize(width);
  const ch = chromaSize(height);
  return { width, height, y: copy(planes[0]!, strides[0]!, width, height), u: copy(planes[1]!, strides[1]!, cw, ch), v: copy(planes[2]!, strides[2]!, cw, ch) };
}

/** A libav.js variant run synchronously in this thread, one wasm instance per decoder (as src/media/decode/vp8Decoder.ts). */
function libavBackend(variant: string, decoderNames: Partial<Record<ClipCodec, string>>) {
  return async (load: (name: string) => unknown): Promise<Backend> => {
    const LibAV = load(`@libav.js/variant-${variant}`) as Loaded;
    return {
      async open(clip) {
        const libav = await LibAV.LibAV({ noworker: true });
        libav.av_log_set_level_sync(libav.AV_LOG_QUIET);
        const [, context, packet, frame] = await libav.ff_init_decoder(decoderNames[clip.codec]);
        let pts = 0;
        return {
          decode({ data, keyframe }) {
            libav.ff_copyin_packet_sync(packet, { data, pts: pts++, ptshi: 0, flags: keyframe ? 1 : 0 });
            const sent = libav.avcodec_send_packet_sync(context, packet);
            libav.av_packet_unref_sync(packet);
            if (sent < 0) throw new Error(`libav.js rejected the frame (error ${sent})`);
            let picture: I420Frame | null = null;
            while (libav.avcodec_receive_frame_sync(context, frame) >= 0) {
              const packed = libav.ff_copyout_frame_video_packed_sync(frame);
              libav.av_frame_unref_sync(frame);
              picture = i420FromPacked(packed.width, packed.height, packed.data);
            }
            return picture;
          },
          close() {
            libav.ff_free_decoder_sync(context, packet, frame);
            libav.terminate();
          },
        };
      },
    };
  };
}

/**
 * The server's fallback decoders (DECODER=wasm): src/media/decode/ (libvpx for VP8 and VP9,
 * h264bsd for H264). Imported here only: libav.js keeps one variant per process (a global), so
 * the other libav.js candidates must not load webm-vp9 first.
 */
async function wasmFallback(): Promise<Backend> {
  const { decoderBackend } = await import('../src/media/decode/videoDecoders.js');
  return {
    async open(clip) {
      // H264 main and high are refused by h264bsd itself, as they would be in the server.
      if (clip.codec === 'AV1') throw new Error("AV1 is not decoded by the server's wasm decoders");
      const decoder = await decoderBackend('wasm').create(clip.codec as 'VP8' | 'VP9' | 'H264');
      return { decode: ({ data, keyframe }) => decoder.decode(data, keyframe), close: () => decoder.close() };
    },
  };
}

const WEBCODECS_CODECS: Record<ClipCodec, (clip: Clip) => string> = {
  VP8: () => 'vp8',
  VP9: () => 'vp09.00.10.08',
  H264: (clip) => `avc1.${clip.profileLevelId}`,
  AV1: () => 'av01.0.04M.08',
};
/**
 * How long after a chunk a WebCodecs decoder may stay silent before decode() gives null: a
 * decoder that holds pictures back (H264 in @napi-rs/webcodecs 1.3.1 puts out picture n after
 * chunk n + 2) answers the first chunks of a stream with null, then each chunk with an earlier
 * picture.
 */
const QUIET_MS = 100;

/**
 * @napi-rs/webcodecs: W3C VideoDecoder, H264 as Annex-B chunks (no description). decode()
 * resolves with the next picture the decoder puts out (of this chunk or, with a delay, an
 * earlier one), copied out as I420.
 */
async function napiWebcodecs(load: (name: string) => unknown): Promise<Backend> {
  const { VideoDecoder, EncodedVideoChunk } = load('@napi-rs/webcodecs') as Loaded;
  return {
    async open(clip) {
      let waiter: { resolve: (picture: I420Frame | null) => void; reject: (error: Error) => void; timer: NodeJS.Timeout } | null = null;
      const settle = () => {
        const current = waiter;
        waiter = null;
        if (current) clearTimeout(current.timer);
        return current;
      };
      const decoder = new VideoDecoder({
        output: (frame: Loaded) => {
          const buffer = new Uint8Array(frame.allocationSize());
          const { codedWidth: width, codedHeight: height } = frame;
          frame
            .copyTo(buffer)
            .then(
              () => settle()?.resolve(i420FromPacked(width, height, buffer)),
              (error: Error) => settle()?.reject(error),
            )
            .finally(() => frame.close());
        },
        error: (error: Error) => settle()?.reject(error),
      });
      decoder.configure({ codec: WEBCODECS_CODECS[clip.codec](clip), optimizeForLatency: true, hardwareAcceleration: 'prefer-software' });
      return {
        decode: ({ data, keyframe }, index) =>
          new Promise((resolve, reject) => {
            settle()?.resolve(null);
            waiter = { resolve, reject, timer: setTimeout(() => settle()?.resolve(null), QUIET_MS) };
            decoder.decode(new EncodedVideoChunk({ type: keyframe ? 'key' : 'delta', timestamp: index, data }));
          }),
        close: () => {
          settle()?.resolve(null);
          if (decoder.state !== 'closed') decoder.close();
        },
      };
    },
  };
}

/** node-av: libavcodec through its synchronous low-level API, one thread per decoder. */
async function nodeAv(load: (name: string) => unknown): Promise<Backend> {
  const { Codec, CodecContext, Packet, Frame } = load('node-av') as Loaded;
  const names: Record<ClipCodec, string> = { VP8: 'vp8', VP9: 'vp9', H264: 'h264', AV1: 'libdav1d' };
  return {
    async open(clip) {
      const codec = Codec.findDecoderByName(names[clip.codec]);
      if (!codec) throw new Error(`node-av has no decoder ${names[clip.codec]}`);
      const context = new CodecContext();
      context.allocContext3(codec);
      context.threadCount = 1;
      const opened = context.open2Sync(codec, null);
      if (opened < 0) throw new Error(`node-av: cannot open ${names[clip.codec]} (error ${opened})`);
      const packet = new Packet();
      packet.alloc();
      const frame = new Frame();
      frame.alloc();
      return {
        decode({ data }) {
          packet.data = data;
          const sent = context.sendPacketSync(packet);
          packet.unref();
          if (sent < 0) throw new Error(`node-av rejected the frame (error ${sent})`);
          let picture: I420Frame | null = null;
          while (context.receiveFrameSync(frame) >= 0) {
            picture = packPlanes(frame.width, frame.height, frame.data, frame.linesize);
            frame.unref();
          }
          return picture;
        },
        close() {
          packet.free();
          frame.free();
          context.freeContext();
        },
      };
    },
  };
}

/** The server's native addon: libvpx, dav1d and OpenH264 from the distribution, through Node-API. */
async function nativeAddon(load: (name: string) => unknown): Promise<Backend> {
  const { Decoder } = load(NATIVE_ADDON) as Loaded;
  return {
    async open(clip) {
      const decoder = new Decoder(clip.codec.toLowerCase());
      return {
        decode({ data }) {
          const picture = decoder.decode(data);
          return picture ? i420FromPacked(picture.width, picture.height, picture.data) : null;
        },
        close: () => decoder.close(),
      };
    },
  };
}

const EVERY_H264 = (decoder: string) => ({ 'H264-CB': decoder, 'H264-MAIN': decoder, 'H264-HIGH': decoder });

export const CANDIDATES: readonly Candidate[] = [
  {
    id: 'wasm-today',
    title: 'wasm, the server\'s fallback: libav.js webm-vp9 + h264decoder',
    module: '@libav.js/variant-webm-vp9',
    packages: ['@libav.js/variant-webm-vp9', 'h264decoder'],
    minNodeMajor: 20,
    decoders: { VP8: 'libvpx (wasm)', VP9: 'libvpx-vp9 (wasm)', ...EVERY_H264('h264bsd (wasm)') },
    licence: { package: 'LGPL-2.1 (libav.js) + ISC (h264decoder)', binaries: 'wasm: FFmpeg LGPL-2.1, libvpx BSD-3; h264bsd Apache-2.0' },
    load: wasmFallback,
  },
  ...(
    [
      ['vp8-opus', { VP8: 'libvpx' }],
      ['vp9-opus', { VP9: 'libvpx-vp9' }],
      ['av1-opus', { AV1: 'libaom-av1' }],
    ] as const
  ).map(([variant, names]): Candidate => ({
    id: `libavjs-${variant}`,
    title: `libav.js ${variant} 6.10.9`,
    module: `@libav.js/variant-${variant}`,
    packages: [`@libav.js/variant-${variant}`],
    minNodeMajor: 20,
    decoders: Object.fromEntries(Object.entries(names).map(([codec, name]) => [codec, `${name} (wasm)`])),
    licence: { package: 'LGPL-2.1', binaries: `wasm: FFmpeg LGPL-2.1, ${variant.startsWith('av1') ? 'libaom BSD-2 + AOM patent licence' : 'libvpx BSD-3'}` },
    load: libavBackend(variant, names),
  })),
  {
    id: 'napi-webcodecs',
    title: '@napi-rs/webcodecs 1.3.1',
    module: '@napi-rs/webcodecs',
    packages: ['@napi-rs/webcodecs', '@napi-rs/webcodecs-linux-x64-gnu'],
    minNodeMajor: 20,
    decoders: { VP8: 'FFmpeg vp8', VP9: 'FFmpeg vp9', ...EVERY_H264('FFmpeg h264'), AV1: 'FFmpeg (libdav1d or libaom)' },
    licence: { package: 'MIT', binaries: 'GPL: static FFmpeg built with --enable-gpl, contains x264 and x265' },
    load: napiWebcodecs,
  },
  {
    id: 'node-av',
    title: 'node-av 6.1.1',
    module: 'node-av',
    packages: ['node-av', '@seydx/node-av-linux-x64'],
    minNodeMajor: 22,
    decoders: { VP8: 'FFmpeg vp8', VP9: 'FFmpeg vp9', ...EVERY_H264('FFmpeg h264'), AV1: 'libdav1d' },
    licence: { package: 'MIT', binaries: 'GPL-3: static FFmpeg with --enable-gpl --enable-version3, x264, x265' },
    load: nodeAv,
  },
  {
    id: 'native-addon',
    title: 'own Node-API addon (the server\'s default): libvpx + dav1d + OpenH264 from Debian',
    module: NATIVE_ADDON,
    packages: [],
    minNodeMajor: 20,
    decoders: { VP8: 'libvpx', VP9: 'libvpx', ...EVERY_H264('OpenH264'), AV1: 'dav1d' },
    licence: { package: 'MIT (ours)', binaries: 'links Debian libvpx BSD-3, libdav1d BSD-2, libopenh264 BSD-2 (dynamic)' },
    load: nativeAddon,
  },
];
