// The source edit of patches/werift+0.25.2+018+dtls-remote-fingerprints.patch, written once:
// node scripts/werift-fix.js scripts/werift-fixes/dtls-remote-fingerprints.js
// (edit 1 is the CommonJS copy, where tsc keeps the parentheses; edit 2 the bundles)
const replace = `
// The remote description being applied names the certificates the peer may present (RFC 8122
// section 5): one that only a superseded description named is no longer the peer's. A
// description without a fingerprint keeps the ones before it.
const fingerprints = remoteParameters.fingerprints.length > 0
    ? deduplicateFingerprints([...remoteParameters.fingerprints])
    : [...(this.remoteParameters?.fingerprints ?? [])];
`;
module.exports = {
  edits: [
    {
      find: `
const fingerprints = deduplicateFingerprints([
    ...(this.remoteParameters?.fingerprints ?? []),
    ...remoteParameters.fingerprints,
]);
`,
      replace,
    },
    {
      find: `
const fingerprints = deduplicateFingerprints([
  ...this.remoteParameters?.fingerprints ?? [],
  ...remoteParameters.fingerprints
]);
`,
      replace,
    },
  ],
};
