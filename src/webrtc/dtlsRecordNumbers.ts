import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * werift 0.25.2 numbers the DTLS Finished with the epoch-0 counter and only then restarts the
 * counter for epoch 1, so its sixth application-data record repeats the Finished's (epoch,
 * sequence number). OpenSSL and BoringSSL peers (aiortc, GStreamer, Chromium) drop that record
 * as a replay and SCTP resends its chunk a second later: a summary or a detection arrived 1 s
 * late. The fix is made at the root, in werift's Flight5 (client) and Flight6 (server), by
 * `patches/werift+0.25.2+002+dtls-record-numbers.patch`, which `npm install` applies (postinstall: patch-package).
 *
 * This check reads those two methods as installed, so a server installed with
 * `--ignore-scripts` (patch not applied) says so at start instead of running a second late.
 */
const FINISHED_SENDERS = ['dtls/src/flight/server/flight6.js', 'dtls/src/flight/client/flight5.js'];

export interface DtlsRecordNumbering {
  fixed: boolean;
  /** The werift files whose Finished still takes its number before the counter restarts. */
  unpatched: string[];
}

export function checkDtlsRecordNumbering(): DtlsRecordNumbering {
  // require.resolve('werift') is lib/webrtc/src/index.js; the DTLS flights sit beside it.
  const lib = join(dirname(require.resolve('werift')), '..', '..');
  const unpatched = FINISHED_SENDERS.filter((file) => !resetsBeforeFinished(readFileSync(join(lib, file), 'utf8')));
  return { fixed: unpatched.length === 0, unpatched };
}

/** Whether sendFinished restarts the record counter before it builds the Finished record. */
export function resetsBeforeFinished(source: string): boolean {
  const body = source.slice(source.indexOf('sendFinished()'));
  const reset = body.indexOf('recordSequenceNumber = 0');
  const build = body.indexOf('createPacket([finish])');
  return reset !== -1 && build !== -1 && reset < build;
}
