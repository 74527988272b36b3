/**
 * Worker thread: decodes the frames of the streams assigned to it, each with its own decoder,
 * and runs the detector on every decoded picture of a frame to analyse (every frame unless
 * ANALYSIS_FPS skips some), or measures the level of decoded audio.
 * Requests are handled one at a time, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDetector } from '../detectors/registry';
import type { FrameWorkerReply, FrameWorkerRequest, FrameWorkerSetup } from './frameJobs';
import { rmsDbov } from '../audioLevel';
import { OpusDecoder } from './opusDecoder';
import type { VideoCodecName, VideoDecoder } from './videoDecoder';
import { createVideoDecoder } from './videoDecoders';

const setup = workerData as FrameWorkerSetup;
const detector = createDetector(setup.detector, setup.detectorOptions);
const decoders = new Map<string, Promise<VideoDecoder>>();
const audioDecoders = new Map<string, Promise<OpusDecoder>>();
let queue: Promise<void> = Promise.resolve();

function decoderFor(streamId: string, codec: VideoCodecName): Promise<VideoDecoder> {
  let decoder = decoders.get(streamId);
  if (!decoder) {
    decoder = createVideoDecoder(codec);
    decoders.set(streamId, decoder);
  }
  return decoder;
}

function audioDecoderFor(streamId: string): Promise<OpusDecoder> {
  let decoder = audioDecoders.get(streamId);
  if (!decoder) {
    decoder = OpusDecoder.create();
    audioDecoders.set(streamId, decoder);
  }
  return decoder;
}

async function handle(request: FrameWorkerRequest): Promise<FrameWorkerReply | null> {
  if (request.type === 'end') {
    const decoder = decoders.get(request.streamId) ?? audioDecoders.get(request.streamId);
    decoders.delete(request.streamId);
    audioDecoders.delete(request.streamId);
    (await decoder)?.close();
    return null;
  }
  if (request.type === 'audio') {
    try {
      const samples = (await audioDecoderFor(request.streamId)).decode(request.data);
      return { jobId: request.jobId, ok: true, levelDbov: rmsDbov(samples) };
    } catch (error) {
      return { jobId: request.jobId, ok: false, stage: 'decode', error: String((error as Error)?.message ?? error) };
    }
  }
  const { jobId } = request;
  const decodeStarted = performance.now();
  let picture;
  try {
    const decoder = await decoderFor(request.streamId, request.codec);
    picture = decoder.decode(request.data, request.keyframe);
  } catch (error) {
    return { jobId, ok: false, stage: 'decode', error: String((error as Error)?.message ?? error) };
  }
  const decodeMs = performance.now() - decodeStarted;
  if (!picture) return { jobId, ok: true, picture: null, detections: [], decodeMs, detectMs: 0 };
  // Decoded to keep the decoder's reference frames, but not one to analyse (ANALYSIS_FPS).
  if (!request.analyze) return { jobId, ok: true, picture: { width: picture.width, height: picture.height }, detections: [], decodeMs, detectMs: 0 };
  const detectStarted = performance.now();
  try {
    const detections = detector.detect(picture);
    const size = { width: picture.width, height: picture.height };
    return { jobId, ok: true, picture: size, detections, decodeMs, detectMs: performance.now() - detectStarted };
  } catch (error) {
    return { jobId, ok: false, stage: 'detect', error: String((error as Error)?.message ?? error) };
  }
}

parentPort!.on('message', (request: FrameWorkerRequest) => {
  queue = queue
    .then(async () => {
      const reply = await handle(request);
      if (reply) parentPort!.postMessage(reply);
    })
    // A failure outside one frame's decode and detection (closing a decoder, posting a reply)
    // must not stop the frames queued behind it; an unanswered frame times out in the pool.
    .catch(() => {});
});
