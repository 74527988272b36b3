/**
 * Worker thread: decodes the frames of the streams assigned to it, each with its own decoder,
 * and runs the detector on every decoded picture of a frame to analyse (every frame unless
 * ANALYSIS_FPS skips some), or measures the level of decoded audio.
 * Requests are decoded one at a time, in order. An asynchronous detection does not hold up the
 * decoding of the next request (DetectionRunner bounds how many are pending and their deadline);
 * each stream's replies still leave in the order of its requests (InOrderReplies).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { catchThreadFaults, runAsOwner } from '../../limits/threadFaults';
import { createDetector } from '../detectors/registry';
import type { FrameWorkerFault, FrameWorkerReady, FrameWorkerReply, FrameWorkerRequest, FrameWorkerSetup } from './frameJobs';
import { DetectionRunner } from './detectionRunner';
import { InOrderReplies } from './inOrderReplies';
import type { OpusLevelMeter } from './opusDecoder';
import type { VideoCodecName, VideoDecoder } from './videoDecoder';
import { decoderBackend } from './videoDecoders';

type Reply = (reply: FrameWorkerReply) => void;
type FrameRequest = Extract<FrameWorkerRequest, { type: 'frame' }>;

const setup = workerData as FrameWorkerSetup;
const detector = createDetector(setup.detector, setup.detectorOptions);
const detection = new DetectionRunner(detector, setup.detectTimeoutMs);
/** The backend's video decoders and Opus level meters. */
const backend = decoderBackend(setup.decoder);
const decoders = new Map<string, Promise<VideoDecoder>>();
const levelMeters = new Map<string, Promise<OpusLevelMeter>>();
// A reply that cannot be posted is not retried: its frame times out in the pool.
const replies = new InOrderReplies<FrameWorkerReply>((reply) => {
  try {
    parentPort!.postMessage(reply);
  } catch {}
});
// Requests wait for the detector to load. One that cannot load ends the worker with its error
// (thrown outside any promise, so that the pool sees the worker fail before its first frame).
let queue: Promise<void> = Promise.resolve(detector.ready).then(
  () => {
    // From here on, frames arrive: an exception that escapes one (a decoder or detector
    // callback) must not end the worker and every stream decoding in it. Not before: a detector
    // that cannot load must still end the worker (below).
    catchThreadFaults({
      warn: (message, meta) => postFault({ type: 'fault', message, meta }),
      counted: () => postFault({ type: 'fault' }),
      failOwner: (streamId) => dropDecoder(streamId),
    });
    parentPort!.postMessage({ type: 'ready' } satisfies FrameWorkerReady);
  },
  (error: unknown) =>
    new Promise<void>(() => {
      setImmediate(() => {
        throw new Error(`detector '${detector.name}' could not load: ${String((error as Error)?.message ?? error)}`);
      });
    }),
);

function decoderFor(streamId: string, codec: VideoCodecName): Promise<VideoDecoder> {
  let decoder = decoders.get(streamId);
  if (!decoder) {
    decoder = backend.create(codec, setup.maxPicturePixels);
    decoders.set(streamId, decoder);
  }
  return decoder;
}

function levelMeterFor(streamId: string): Promise<OpusLevelMeter> {
  let decoder = levelMeters.get(streamId);
  if (!decoder) {
    decoder = backend.createOpusLevelMeter();
    levelMeters.set(streamId, decoder);
  }
  return decoder;
}

const messageOf = (error: unknown): string => String((error as Error)?.message ?? error);

/** This thread has no logger and reports no refusals: each fault goes to the pool, which counts and logs it. */
function postFault(fault: FrameWorkerFault): void {
  try {
    parentPort!.postMessage(fault);
  } catch {}
}

/**
 * An exception escaped the work of this stream: its decoder's state is not to be trusted. It is
 * closed and forgotten; the stream's next frame makes a new one (which waits for a keyframe).
 */
function dropDecoder(streamId: string): void {
  const decoder = decoders.get(streamId) ?? levelMeters.get(streamId);
  decoders.delete(streamId);
  levelMeters.delete(streamId);
  void decoder?.then((d) => d.close()).catch(() => {});
}

/** Decodes the frame now; its detection may finish after the next request is decoded. */
async function decodeAndDetect(request: FrameRequest, reply: Reply): Promise<void> {
  const { jobId } = request;
  const decodeStarted = performance.now();
  let picture;
  let decoder: VideoDecoder;
  try {
    decoder = await decoderFor(request.streamId, request.codec);
    picture = decoder.decode(request.data, request.keyframe);
  } catch (error) {
    return reply({ jobId, ok: false, reason: 'decode_error', error: messageOf(error) });
  }
  const decodeMs = performance.now() - decodeStarted;
  if (!picture) return reply({ jobId, ok: true, picture: null, detections: [], decodeMs, detectMs: 0 });
  const size = { width: picture.width, height: picture.height };
  // Decoded to keep the decoder's reference frames, but not one to analyse (ANALYSIS_FPS).
  if (!request.analyze) {
    decoder.recycle?.(picture);
    return reply({ jobId, ok: true, picture: size, detections: [], decodeMs, detectMs: 0 });
  }
  // Once the detector is done with the picture its memory takes a later picture of the stream.
  void detection.run(picture, () => decoder.recycle?.(picture)).then((result) =>
    reply(result.ok ? { jobId, ok: true, picture: size, detections: result.detections, decodeMs, detectMs: result.detectMs } : { jobId, ...result }),
  );
}

async function handle(request: FrameWorkerRequest, reply: Reply): Promise<void> {
  if (request.type === 'end') {
    const decoder = decoders.get(request.streamId) ?? levelMeters.get(request.streamId);
    decoders.delete(request.streamId);
    levelMeters.delete(request.streamId);
    (await decoder)?.close();
    return;
  }
  if (request.type === 'frame') return decodeAndDetect(request, reply);
  let decoder: OpusLevelMeter;
  try {
    decoder = await levelMeterFor(request.streamId);
  } catch (error) {
    return reply({ jobId: request.jobId, ok: false, reason: 'decode_error', error: messageOf(error) });
  }
  const levelsDbov: number[] = [];
  for (const packet of request.packets) {
    try {
      levelsDbov.push(decoder.level(packet));
    } catch {
      // A packet that does not decode has no level; the others of the message still do.
    }
  }
  reply({ jobId: request.jobId, ok: true, levelsDbov });
}

parentPort!.on('message', (request: FrameWorkerRequest) => {
  // The request's place among its stream's replies is taken now, in arrival order.
  const reply: Reply = request.type === 'end' ? () => {} : replies.reserve(request.streamId);
  queue = queue
    // The stream owns what its request starts (a detection finishing later included).
    .then(() => runAsOwner(request.streamId, () => handle(request, reply)))
    // A failure outside one frame's decode and detection (closing a decoder) must not stop the
    // frames queued behind it, nor leave this request's place open and its stream's later replies behind it.
    .catch((error: unknown) => {
      if (request.type !== 'end') reply({ jobId: request.jobId, ok: false, reason: 'decode_error', error: messageOf(error) });
    });
});
