// The source edit of patches/werift+0.25.2+016+ice-no-default-stun.patch, written once:
// node scripts/werift-fix.js scripts/werift-fixes/ice-no-default-stun.js
// (edit 1 is the CommonJS copy, where tsc breaks the line; edit 2 the bundles)
module.exports = {
  edits: [
    {
      find: `
this.stunServer =
    (0, iceBase_1.validateAddress)(this.options.stunServer) ?? DEFAULT_STUN_SERVER;
`,
      replace: `
// No STUN server configured means none: an unconfigured agent contacts no host of its own choosing.
this.stunServer = (0, iceBase_1.validateAddress)(this.options.stunServer);
`,
    },
    {
      find: `
this.stunServer = @{validateAddress}(this.options.stunServer) ?? DEFAULT_STUN_SERVER;
`,
      replace: `
// No STUN server configured means none: an unconfigured agent contacts no host of its own choosing.
this.stunServer = @{validateAddress}(this.options.stunServer);
`,
    },
  ],
};
