// The source edit of patches/werift+0.25.2+015+dtls-handshake-close.patch, written once:
// node scripts/werift-fix.js scripts/werift-fixes/dtls-handshake-close.js
// (edits 2 and 3 are the same line as tsc and esbuild spell it: `1000` and `undefined` in the
// CommonJS copy, `1e3` and `void 0` in the bundles)
module.exports = {
  edits: [
    {
      find: `
async transmit(buffers) {
  let retransmitCount = 0;
`,
      replace: `
async transmit(buffers) {
  // Closing the socket or stopping its transport ends the handshake (DtlsSocket.endHandshake):
  // the wait for the peer's next flight ends then, instead of retransmitting for ~33 s.
  const ended = (this.dtls.handshakeEnd ??= new AbortController()).signal;
  let retransmitCount = 0;
`,
    },
    {
      find: `
await @{setTimeout}(1000 * ((retransmitCount + 1) / 2));
if (this.dtls.flight >= this.nextFlight) {
`,
      replace: `
await @{setTimeout}(1000 * ((retransmitCount + 1) / 2), undefined, { signal: ended }).catch(() => { });
if (this.dtls.flight >= this.nextFlight || ended.aborted) {
`,
    },
    {
      find: `
await @{setTimeout}(1e3 * ((retransmitCount + 1) / 2));
if (this.dtls.flight >= this.nextFlight) {
`,
      replace: `
await @{setTimeout}(1e3 * ((retransmitCount + 1) / 2), void 0, { signal: ended }).catch(() => {
});
if (this.dtls.flight >= this.nextFlight || ended.aborted) {
`,
    },
    {
      find: `
close() {
  this.transport.socket.close();
}
`,
      replace: `
close() {
  this.endHandshake();
  this.transport.socket.close();
}
/** Ends the retransmissions of the handshake's flights, at once and for good. */
endHandshake() {
  (this.dtls.handshakeEnd ??= new AbortController()).abort();
}
`,
    },
    {
      find: `
async stop() {
  this.takeEarlyHandshakeRecords();
  this.setState("closed", false);
`,
      replace: `
async stop() {
  this.takeEarlyHandshakeRecords();
  // The DTLS socket is left to the ICE transport, but a handshake under way must not go on
  // retransmitting into a closed connection (and keep the process alive) for ~33 s.
  this.dtls?.endHandshake();
  this.setState("closed", false);
`,
    },
  ],
};
