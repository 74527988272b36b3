// Part of patches/werift+0.25.2+012+nack-sequence-jumps.patch as one edit (the loop's end
// condition), to show @{name}: `(0, common_2.uint16Add)` in CommonJS, `uint16Add` in the bundles.
// node scripts/werift-fix.js scripts/werift-fixes/nack-sequence-jumps.js
module.exports = {
  edits: [
    {
      find: `
for (let i = @{uint16Add}(this.newEstSeqNum, 1); i < sequenceNumber; i = @{uint16Add}(i, 1)) {
`,
      replace: `
for (let i = @{uint16Add}(this.newEstSeqNum, 1); i !== sequenceNumber; i = @{uint16Add}(i, 1)) {
`,
    },
  ],
};
