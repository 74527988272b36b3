import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Runs test/foreign/aiortc_client.py: K aiortc sessions in one Python process against a server,
 * and collects the JSON lines it prints. Used by the foreign-stack tests and by benchmarks.
 *
 * Every line has `event`, `session` (0..K-1) and `t_ms`: CLOCK_MONOTONIC in milliseconds, the
 * clock of `monotonicNowMs()` here, so client times can be set against times taken in Node.
 */

export const AIORTC_PYTHON = process.env.AIORTC_PYTHON ?? '/usr/bin/python3';
export const AIORTC_SCRIPT = join(__dirname, 'aiortc_client.py');

export type AiortcRoute = 'offer' | 'whip';
/** bye: stop the senders (RTCP BYE); end_stream: data channel message; delete: HTTP DELETE; close: pc.close(). */
export type AiortcEnd = 'bye' | 'end_stream' | 'delete' | 'close';

interface LineBase {
  session: number;
  t_ms: number;
}
/** connectionState became connected; setup_ms is from the POST being sent to that moment. */
export interface ConnectedLine extends LineBase {
  event: 'connected';
  session_id: string;
  route: AiortcRoute;
  setup_ms: number;
}
/** The server's answer SDP, printed before the client applies it (ICE has not started). */
export interface AnswerLine extends LineBase {
  event: 'answer';
  session_id: string;
  sdp: string;
}
/** One data channel message; `data` is the parsed JSON (or the text, or "<N bytes>"). */
export interface MessageLine extends LineBase {
  event: 'message';
  event_type: string | null;
  data: unknown;
}
/** The end action is about to be taken (t_ms is its start). */
export interface EndingLine extends LineBase {
  event: 'ending';
  action: AiortcEnd;
}
/** The end action returned (bye: both BYEs sent; delete: response read), action_ms after ending. */
export interface ActionDoneLine extends LineBase {
  event: 'action_done';
  action: AiortcEnd;
  action_ms: number;
}
export interface DeleteResponseLine extends LineBase {
  event: 'delete_response';
  status: number;
  body: unknown;
}
/** t_ms is the arrival of stream_closed; end_to_closed_ms is from the ending line's t_ms. */
export interface StreamClosedLine extends LineBase {
  event: 'stream_closed';
  reason: string;
  summary: Record<string, unknown>;
  end_to_closed_ms: number;
}
export interface TrackRecord {
  track_id: string;
  kind: string;
  status: string;
  end_reason: string | null;
}
/** GET /sessions/<id> once it said Released; released_seen_ms is polled (25 ms steps) from ending. */
export interface RecordLine extends LineBase {
  event: 'record';
  state: string;
  reason: string | null;
  tracks: TrackRecord[];
  counters: Record<string, number>;
  summary: Record<string, unknown> | null;
  released_seen_ms: number;
}
/** Last line of a session; ok means no entry in errors. */
export interface DoneLine extends LineBase {
  event: 'done';
  ok: boolean;
  session_id: string | null;
  messages: number;
  event_types: Array<string | null>;
  video_frames_sent: number;
  audio_frames_sent: number;
  /** With seqJump: the video frames sent before the sequence numbers jumped. */
  video_frames_before_jump: number | null;
  errors: string[];
}
/** --probe-session: the statuses of listing, reading and ending another session with this client's token, and reading its own. */
export interface ProbeLine extends LineBase {
  event: 'probe';
  session_id: string;
  statuses: { list: number; read: number; delete_session: number; delete_whip: number; read_own: number };
}
export type AiortcLine = ProbeLine | AnswerLine | ConnectedLine | MessageLine | EndingLine | ActionDoneLine | DeleteResponseLine | StreamClosedLine | RecordLine | DoneLine;

/** Everything one session printed, by kind. */
export interface AiortcSession {
  index: number;
  sessionId: string | null;
  connected: ConnectedLine | null;
  messages: MessageLine[];
  ending: EndingLine | null;
  actionDone: ActionDoneLine | null;
  deleteResponse: DeleteResponseLine | null;
  streamClosed: StreamClosedLine | null;
  record: RecordLine | null;
  done: DoneLine | null;
  probe: ProbeLine | null;
}

export interface AiortcOptions {
  url: string;
  route?: AiortcRoute;
  sessions?: number;
  spreadMs?: number;
  mediaSeconds?: number;
  end?: AiortcEnd;
  token?: string;
  /** Once connected, try to list, read and end this session id (another client's): a probe line. */
  probeSession?: string;
  fps?: number;
  /** Video size, e.g. "320x240". */
  size?: string;
  /** How long each wait in the script may take (connect, stream_closed, release), seconds. */
  waitSeconds?: number;
  /** Halfway through the media, the video RTP sequence numbers move on by this much (a sender restart). */
  seqJump?: number;
  /** With seqJump: the first video RTP sequence number (default 1000). */
  seqStart?: number;
  /** The child is killed (SIGKILL) past this; by default every wait may run out, plus 10 s. */
  processTimeoutMs?: number;
  /** Called for each line as it arrives (e.g. to find the server's side of a session while it is live). */
  onLine?: (line: AiortcLine) => void;
}

export interface AiortcRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** One entry per session index, in order, even for sessions that printed nothing. */
  sessions: AiortcSession[];
  lines: AiortcLine[];
  /** Lines that were not JSON objects with an event (nothing should land here). */
  unparsed: string[];
  /** Errors thrown by onLine. */
  listenerErrors: string[];
  /** The last 64 KB of the script's stderr (Python tracebacks, aiortc warnings). */
  stderr: string;
}

export interface AiortcProcess {
  child: ChildProcess;
  /** The lines so far, growing while the child runs. */
  lines: AiortcLine[];
  finished: Promise<AiortcRun>;
  kill(): void;
}

const STDERR_KEPT = 64 * 1024;

/** The clock of the script's t_ms (Python's time.monotonic and libuv's hrtime are CLOCK_MONOTONIC). */
export function monotonicNowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function aiortcAvailable(python = AIORTC_PYTHON): boolean {
  return spawnSync(python, ['-c', 'import aiortc'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

/** Throws, naming the Debian package, when aiortc cannot be imported: the foreign tests must not skip. */
export function requireAiortc(python = AIORTC_PYTHON): void {
  if (!aiortcAvailable(python)) {
    throw new Error(
      `aiortc is missing: "${python} -c 'import aiortc'" fails. Install Debian's python3-aiortc ` +
        `(apt-get install -y python3-aiortc) or set AIORTC_PYTHON to a Python with aiortc 1.4.`,
    );
  }
}

export function aiortcArgs(options: AiortcOptions): string[] {
  const flags: Array<[string, string | number | undefined]> = [
    ['--url', options.url],
    ['--route', options.route],
    ['--sessions', options.sessions],
    ['--spread-ms', options.spreadMs],
    ['--media-seconds', options.mediaSeconds],
    ['--end', options.end],
    ['--token', options.token],
    ['--probe-session', options.probeSession],
    ['--fps', options.fps],
    ['--size', options.size],
    ['--timeout', options.waitSeconds],
    ['--seq-jump', options.seqJump],
    ['--seq-start', options.seqStart],
  ];
  return flags.flatMap(([flag, value]) => (value === undefined ? [] : [flag, String(value)]));
}

function emptySession(index: number): AiortcSession {
  return {
    index,
    sessionId: null,
    connected: null,
    messages: [],
    ending: null,
    actionDone: null,
    deleteResponse: null,
    streamClosed: null,
    record: null,
    done: null,
    probe: null,
  };
}

/** Files a line under its session. */
function addLine(sessions: AiortcSession[], line: AiortcLine): void {
  const session = (sessions[line.session] ??= emptySession(line.session));
  switch (line.event) {
    case 'connected':
      session.connected = line;
      session.sessionId = line.session_id;
      break;
    case 'message':
      session.messages.push(line);
      break;
    case 'ending':
      session.ending = line;
      break;
    case 'action_done':
      session.actionDone = line;
      break;
    case 'delete_response':
      session.deleteResponse = line;
      break;
    case 'stream_closed':
      session.streamClosed = line;
      break;
    case 'record':
      session.record = line;
      break;
    case 'probe':
      session.probe = line;
      break;
    case 'done':
      session.done = line;
      session.sessionId ??= line.session_id;
      break;
  }
}

function parseLine(text: string): AiortcLine | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && typeof (value as AiortcLine).event === 'string') return value as AiortcLine;
  } catch {
    // Not JSON: reported in `unparsed`.
  }
  return null;
}

/** Starts the script; `finished` resolves (never rejects) once the child has exited or was killed. */
export function startAiortc(options: AiortcOptions): AiortcProcess {
  const count = options.sessions ?? 1;
  const waitSeconds = options.waitSeconds ?? 20;
  const timeoutMs =
    options.processTimeoutMs ?? (options.spreadMs ?? 0) + 1000 * ((options.mediaSeconds ?? 2) + 3 * waitSeconds + 10);
  const child = spawn(AIORTC_PYTHON, [AIORTC_SCRIPT, ...aiortcArgs(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  const lines: AiortcLine[] = [];
  const sessions = Array.from({ length: count }, (_, index) => emptySession(index));
  const unparsed: string[] = [];
  const listenerErrors: string[] = [];
  let stderr = '';
  let timedOut = false;

  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = parseLine(text);
    if (!line) {
      unparsed.push(text);
      return;
    }
    lines.push(line);
    addLine(sessions, line);
    try {
      options.onLine?.(line);
    } catch (error) {
      listenerErrors.push(error instanceof Error ? error.message : String(error));
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_KEPT);
  });

  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const finished = new Promise<AiortcRun>((resolve) => {
    // 'close' (not 'exit'): stdout has been read to its end, so no line is missing.
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, timedOut, sessions, lines, unparsed, listenerErrors, stderr });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ exitCode: null, signal: null, timedOut, sessions, lines, unparsed, listenerErrors, stderr: `${stderr}\n${error.message}` });
    });
  });
  return { child, lines, finished, kill: () => child.kill('SIGKILL') };
}

export function runAiortc(options: AiortcOptions): Promise<AiortcRun> {
  return startAiortc(options).finished;
}
