// The source edit of patches/werift+0.25.2+014+ice-restart-checks.patch, written once:
// node scripts/werift-fix.js scripts/werift-fixes/ice-restart-checks.js
module.exports = {
  edits: [
    {
      find: `
const checkDtlsConnected = () => dtlsTransport.state === "connected";
if (checkDtlsConnected()) {
`,
      replace: `
const checkDtlsConnected = () => dtlsTransport.state === "connected";
// An ICE restart keeps DTLS connected but drops the nominated pair: ICE must run its
// checks again, so only a transport whose ICE still has a pair is left as it is.
if (checkDtlsConnected() && iceTransport.connection.nominated) {
`,
    },
  ],
};
