import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export interface CliOptions {
  url: string;
  seconds: number;
  /** Video frame rate; undefined means 30, or the video file's rate. */
  fps: number | undefined;
  video: boolean;
  videoFile: string | undefined;
  audio: boolean;
  token: string | undefined;
  interfaceAddress: string | undefined;
  summaryTimeoutMs: number;
  help: boolean;
}

/** What the client streams by default: 640x480 VP8 with a red square the default detector finds. */
export const DEFAULT_VIDEO_FILE = join(__dirname, '..', 'test', 'fixtures', 'video', 'vp8_red_square.ivf');

export const USAGE = `Usage: npm run client -- [options]

Streams video (a VP8/VP9/H264/AV1 file, or synthetic VP8) and synthetic Opus audio to the ingest
server over WebRTC, prints the session id and every data channel event, then stops its
tracks and prints the summary.

Options:
  --url URL            server base URL (default http://127.0.0.1:8080)
  --seconds N          how long to stream (default 5)
  --fps N              video frame rate (default 30, or the video file's)
  --video-file PATH    stream this file, looping: .ivf (VP8, VP9, AV1) or .h264/.264 (H264
                       Annex-B); only its codec is offered, H264 with the profile-level-id of
                       its SPS (default: a VP8 clip of a red square on grey,
                       test/fixtures/video/vp8_red_square.ivf)
  --synthetic-video    send synthetic VP8 frames (valid headers, filler data: not decodable)
  --no-video           offer no video track
  --no-audio           offer no audio track
  --token TOKEN        bearer token, for servers with AUTH_TOKEN set (default $AUTH_TOKEN)
  --interface ADDRESS  bind ICE to this local IPv4 address (e.g. 127.0.0.1 for a local server)
  --summary-timeout N  seconds to wait for stream_closed before DELETE /sessions/<id> (default 15)
  --help               show this help`;

/** Parses the command line; throws an Error with a one-line message on bad input. */
export function parseCliOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8080' },
      seconds: { type: 'string', default: '5' },
      fps: { type: 'string' },
      'video-file': { type: 'string' },
      'synthetic-video': { type: 'boolean', default: false },
      'no-video': { type: 'boolean', default: false },
      'no-audio': { type: 'boolean', default: false },
      token: { type: 'string' },
      interface: { type: 'string' },
      'summary-timeout': { type: 'string', default: '15' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const url = values.url;
  if (!/^https?:\/\/[^/]/.test(url)) throw new Error(`--url must be an http(s) URL, got "${url}"`);
  if (values['video-file'] !== undefined && values['no-video']) throw new Error('--video-file and --no-video exclude each other');
  if (values['video-file'] !== undefined && values['synthetic-video']) throw new Error('--video-file and --synthetic-video exclude each other');
  if (values['video-file'] === '') throw new Error('--video-file needs a path');
  const videoFile = values['synthetic-video'] || values['no-video'] ? undefined : (values['video-file'] ?? DEFAULT_VIDEO_FILE);
  return {
    url,
    seconds: positiveNumber('--seconds', values.seconds, { allowZero: true }),
    fps: values.fps === undefined ? undefined : positiveNumber('--fps', values.fps),
    video: !values['no-video'],
    videoFile,
    audio: !values['no-audio'],
    token: values.token ?? (env.AUTH_TOKEN || undefined),
    interfaceAddress: ipv4Address('--interface', values.interface),
    summaryTimeoutMs: positiveNumber('--summary-timeout', values['summary-timeout'], { allowZero: true }) * 1000,
    help: values.help,
  };
}

function positiveNumber(flag: string, text: string, { allowZero = false } = {}): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new Error(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${text}"`);
  }
  return value;
}

function ipv4Address(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!isIPv4(text)) throw new Error(`${flag} must be an IPv4 address, got "${text}"`);
  return text;
}
