/**
 * Puts back, at run time, what this repository changed about connection setup, so that one
 * bench run measures before and after on the same machine, in the same conditions:
 *
 * - werift's DTLS client waits 100 ms before its ClientHello (werift 0.25.2 `DtlsTransport.start`);
 * - a DTLS record that arrives before the DTLS socket exists is dropped (0.25.2 kept none);
 * - ICE check pacing sleeps its full 20 ms even once the check list has completed (0.25.2);
 * - the answer's DTLS role is left to werift: `a=setup:active`, the server is the DTLS client.
 *
 * The certificate made at server start stays (werift caches it for the process anyway), so the
 * first session of a baseline run after a current one does not pay for it.
 *
 * Each replaced method is restored by the function returned.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, DtlsClient, RTCDtlsTransport, RTCPeerConnection } from 'werift';

type Method = (this: unknown, ...args: unknown[]) => unknown;

export function restoreWeriftSetupBaseline(): () => void {
  const undo: Array<() => void> = [];
  const replace = (prototype: object, name: string, make: (original: Method) => Method): void => {
    const target = prototype as Record<string, Method>;
    const original = target[name];
    if (typeof original !== 'function') throw new Error(`werift has no ${name} to replace: is the patch applied?`);
    target[name] = make(original);
    undo.push(() => {
      target[name] = original;
    });
  };

  replace(DtlsClient.prototype, 'connect', (original) =>
    async function (this: unknown) {
      await sleep(100);
      return original.call(this);
    },
  );
  replace(RTCDtlsTransport.prototype, 'takeEarlyHandshakeRecords', (original) =>
    function (this: unknown) {
      original.call(this);
      return [];
    },
  );
  replace(Connection.prototype, 'paceChecks', () => (ms) => sleep(ms as number));
  replace(RTCPeerConnection.prototype, 'createAnswer', (original) =>
    function (this: unknown) {
      for (const transport of (this as RTCPeerConnection).dtlsTransports) {
        if (transport.state === 'new') transport.role = 'auto';
      }
      return original.call(this);
    },
  );
  return () => {
    for (const restore of undo.splice(0).reverse()) restore();
  };
}
