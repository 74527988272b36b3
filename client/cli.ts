import { parseCliOptions, USAGE, type CliOptions } from './cliOptions';
import { isRecord } from './json';
import { deleteSession, getSession } from './signaling';
import type { ReceivedEvent } from '../src/protocol/eventGuards';
import { StreamingClient } from './streamingClient';

/** stdout carries the results (session id, events, summary); stderr the progress notes. */
function printResult(line: string): void {
  process.stdout.write(`${line}\n`);
}

function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

function printEvent(event: ReceivedEvent): void {
  printResult(`event ${JSON.stringify(event)}`);
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ');
}

/**
 * Ctrl-C reaches this process several times (the terminal signals the whole process group,
 * and npm and tsx relay it too), so signals within a second count as one press.
 */
const DUPLICATE_SIGNAL_WINDOW_MS = 1000;

/** The first Ctrl-C ends the streaming; a later one gives up at once. */
class Interrupts {
  private firstAt: number | null = null;
  private readonly firstPress: Promise<void>;
  private resolveFirstPress!: () => void;

  constructor() {
    this.firstPress = new Promise((resolve) => {
      this.resolveFirstPress = resolve;
    });
    process.on('SIGINT', this.onSignal);
  }

  /** Waits `ms`, or less if Ctrl-C is pressed; says which happened. */
  async sleep(ms: number): Promise<'elapsed' | 'interrupted'> {
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<'elapsed'>((resolve) => {
      timer = setTimeout(() => resolve('elapsed'), ms);
    });
    const outcome = await Promise.race([elapsed, this.firstPress.then(() => 'interrupted' as const)]);
    clearTimeout(timer);
    return outcome;
  }

  dispose(): void {
    process.removeListener('SIGINT', this.onSignal);
  }

  private readonly onSignal = (): void => {
    const now = Date.now();
    if (this.firstAt === null) {
      this.firstAt = now;
      this.resolveFirstPress();
    } else if (now - this.firstAt > DUPLICATE_SIGNAL_WINDOW_MS) {
      note('interrupted again: exiting without a summary');
      process.exit(130);
    }
  };
}

async function run(options: CliOptions): Promise<void> {
  const client = await StreamingClient.connect({
    url: options.url,
    video: options.video,
    videoFile: options.videoFile,
    audio: options.audio,
    authToken: options.token,
    interfaceAddress: options.interfaceAddress,
  });
  const interrupts = new Interrupts();
  try {
    printResult(`session_id ${client.sessionId}`);
    for (const event of client.events) printEvent(event);
    client.onEvent(printEvent);

    client.startStreaming({ fps: options.fps });
    const tracks = [options.video ? `video ${describeVideo(client, options)}` : '', options.audio ? 'audio' : ''].filter(Boolean);
    note(`streaming ${tracks.join(' + ') || 'nothing'} for ${options.seconds} s (Ctrl-C stops early)`);
    if ((await interrupts.sleep(options.seconds * 1000)) === 'interrupted') note('interrupted: stopping the tracks');
    client.stopVideo();
    client.stopAudio();
    if (client.streamingError) throw client.streamingError;
    note(
      `sent ${client.videoFramesSent} video and ${client.audioFramesSent} audio frames; ` +
        `waiting up to ${options.summaryTimeoutMs / 1000} s for stream_closed`,
    );

    printResult(JSON.stringify(await finalSummary(client, options), null, 2));
  } finally {
    interrupts.dispose();
    await client.close();
  }
}

function describeVideo(client: StreamingClient, options: CliOptions): string {
  const file = client.videoFile;
  const fps = options.fps ?? file?.fps ?? 30;
  if (!file) return `synthetic VP8 ${fps} fps`;
  const payloadType = client.videoCodec?.payloadType;
  return `${file.path} (${file.codec} payload type ${payloadType}, ${file.frames.length} frames looping) ${fps} fps`;
}

/**
 * The stream_closed summary; else the one DELETE /sessions/<id> returns; else, when the
 * session had already ended (DELETE refused), the summary GET /sessions/<id> keeps.
 */
async function finalSummary(client: StreamingClient, options: CliOptions): Promise<unknown> {
  const auth = { authToken: options.token };
  try {
    return (await client.waitForStreamClosed(options.summaryTimeoutMs)).summary;
  } catch (waitError) {
    note(`${oneLine(waitError)}; ending the session with DELETE /sessions/${client.sessionId}`);
    try {
      return await deleteSession(options.url, client.sessionId, auth);
    } catch (deleteError) {
      const storedSummary = await getSession(options.url, client.sessionId, auth).then(
        (session) => (isRecord(session) ? session.summary : null),
        () => null,
      );
      if (isRecord(storedSummary)) {
        note(`${oneLine(deleteError)}; using the summary from GET /sessions/${client.sessionId}`);
        return storedSummary;
      }
      throw new Error(`no summary: ${oneLine(waitError)}, and ${oneLine(deleteError)}`);
    }
  }
}

async function main(argv: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliOptions(argv);
  } catch (error) {
    note(`error: ${oneLine(error)} (see --help)`);
    return 1;
  }
  if (options.help) {
    printResult(USAGE);
    return 0;
  }
  try {
    await run(options);
    return 0;
  } catch (error) {
    note(`error: ${oneLine(error)}`);
    return 1;
  }
}

// werift leaves timers behind after close (DTLS retransmission, ICE consent), so exit explicitly.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    note(`error: ${oneLine(error)}`);
    process.exit(1);
  },
);
