import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { NetworkNamespace } from './networkNamespace';

/**
 * GStreamer's WHIP client (`whip-client`, Debian's simple-whip-client: webrtcbin, libnice,
 * OpenSSL DTLS) as a child process in a network namespace, with its log lines kept.
 *
 * Without `-n` it POSTs its offer right away, without candidates, then PATCHes the candidates it
 * gathers (a batch every 100 ms, If-Match: the ETag of the 201) up to `a=end-of-candidates`;
 * with `-n` they are in the offer and it never PATCHes. SIGINT makes it DELETE its session.
 */

export const WHIP_CLIENT = process.env.WHIP_CLIENT ?? 'whip-client';

export const VP8_PIPELINE =
  'videotestsrc is-live=true ! videoconvert ! vp8enc deadline=1 ! rtpvp8pay pt=96 ! queue ! application/x-rtp,media=video,encoding-name=VP8,payload=96';
export const OPUS_PIPELINE =
  'audiotestsrc is-live=true ! audioconvert ! audioresample ! opusenc ! rtpopuspay pt=97 ! queue ! application/x-rtp,media=audio,encoding-name=OPUS,payload=97';

const STUB_SOURCE = join(__dirname, 'gupnp_igd_stub.c');
const STUB_NAME = 'libgupnp-igd-1.0.so.4';

/** Throws, naming the Debian package, unless whip-client and a C compiler (for the stub) are here. */
export function requireWhipClient(): void {
  const missing: string[] = [];
  if (spawnSync('sh', ['-c', `command -v ${WHIP_CLIENT}`]).status !== 0) missing.push(`${WHIP_CLIENT} (Debian's simple-whip-client)`);
  if (spawnSync('gcc', ['--version']).error) missing.push('gcc (build-essential)');
  if (missing.length > 0) {
    throw new Error(`GStreamer's WHIP client test needs ${missing.join(' and ')}: apt-get install -y simple-whip-client build-essential`);
  }
}

/**
 * Builds the no-op libgupnp-igd stand-in (gupnp_igd_stub.c) into a temporary directory, for
 * whip-client's LD_LIBRARY_PATH. close() deletes the directory; idempotent.
 */
export function buildGupnpIgdStub(): { dir: string; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gupnp-igd-stub-'));
  const close = () => rmSync(dir, { recursive: true, force: true });
  const built = spawnSync('gcc', ['-shared', '-fPIC', `-Wl,-soname,${STUB_NAME}`, '-o', join(dir, STUB_NAME), STUB_SOURCE], { encoding: 'utf8' });
  if (built.error || built.status !== 0) {
    close();
    throw new Error(`building ${STUB_NAME} failed: ${built.error?.message ?? built.stderr}`);
  }
  return { dir, close };
}

export interface WhipClientOptions {
  /** The WHIP endpoint, e.g. http://198.18.0.1:1234/whip. */
  url: string;
  namespace: NetworkNamespace;
  /** Directory holding the libgupnp-igd stand-in. */
  libraryDir: string;
  /** Candidates in the offer (`-n`) instead of trickled with PATCH. */
  noTrickle?: boolean;
  video?: string;
  audio?: string;
}

export interface WhipClientExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WhipClientProcess {
  /** Everything it printed (stdout and stderr), a line each, without colours. */
  readonly lines: string[] = [];
  readonly exited: Promise<WhipClientExit>;
  private exit: WhipClientExit | null = null;
  private readonly child: ChildProcess;

  constructor({ url, namespace, libraryDir, noTrickle = false, video = VP8_PIPELINE, audio = OPUS_PIPELINE }: WhipClientOptions) {
    // -o: no colours; -l 5: verbose, so each candidate it sends or adds to the offer is logged.
    const args = ['-u', url, '-o', '-l', '5', '-V', video, '-A', audio, ...(noTrickle ? ['-n'] : [])];
    const { file, args: wrapped } = namespace.exec(WHIP_CLIENT, args);
    this.child = spawn(file, wrapped, { env: { ...process.env, LD_LIBRARY_PATH: libraryDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
    }
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.lines.push(`spawn error: ${error.message}`);
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** Resolves with the first match of `pattern` in its output; rejects (with the output) after `timeoutMs` or if it exits first. */
  async waitFor(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      if (!this.running || Date.now() > deadline) {
        const why = this.running ? `not within ${timeoutMs} ms` : `it exited (${JSON.stringify(this.exit)})`;
        throw new Error(`whip-client: no ${what}, ${why}; its output:\n${this.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The session id of its resource URL (`Resource URL: http://.../whip/<id>`). */
  async sessionId(timeoutMs = 10_000): Promise<string> {
    const [, id] = await this.waitFor(/Resource URL: \S+\/whip\/([^/\s?]+)/, timeoutMs, 'resource URL');
    return id!;
  }

  /** SIGINT (it DELETEs its session, then exits); SIGKILL if it has not exited within `timeoutMs`. */
  async interrupt(timeoutMs = 5000): Promise<WhipClientExit> {
    if (!this.running) return this.exit!;
    this.child.kill('SIGINT');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exit = await Promise.race([this.exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)))]);
    clearTimeout(timer);
    if (exit) return exit;
    await this.close();
    throw new Error(`whip-client did not exit within ${timeoutMs} ms of SIGINT; its output:\n${this.output()}`);
  }

  /** Kills it (SIGKILL) if it still runs and waits for its exit; idempotent. */
  async close(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  output(): string {
    return this.lines.slice(-200).join('\n');
  }
}
