// The source edit of patches/werift+0.25.2+017+bundle-only-sections.patch, written once:
// node scripts/werift-fix.js scripts/werift-fixes/bundle-only-sections.js
// (one edit: SessionDescription.parse reads the same in the CommonJS copy and the bundles)
module.exports = {
  edits: [
    {
      find: `
const findCodec = (pt) => currentMedia.rtp.codecs.find((v) => v.payloadType === pt);
mediaLines.slice(1).forEach((line) => {
`,
      replace: `
const findCodec = (pt) => currentMedia.rtp.codecs.find((v) => v.payloadType === pt);
// A bundle-only m-section of a BUNDLE group offered with port 0 is not rejected (RFC 8843
// section 6; RFC 8829 section 5.2.1: a max-bundle offerer sends every section but the first so).
// The rest of werift reads port 0 as rejected or stopped, so it takes the placeholder port 9 of
// a bundled section and is negotiated on the group's transport.
if (currentMedia.port === 0 &&
    mediaLines.some((line) => line.trim() === "a=bundle-only") &&
    session.group.some((group) => group.semantic === "BUNDLE" && group.items.includes(currentMedia.rtp.muxId))) {
    currentMedia.port = 9;
}
mediaLines.slice(1).forEach((line) => {
`,
    },
  ],
};
