/*
 * A no-op stand-in for libgupnp-igd-1.0.so.4, built by test/foreign/whipClientProcess.ts and
 * put first on LD_LIBRARY_PATH of GStreamer's whip-client.
 *
 * libnice links GUPnP-IGD for UPnP port mapping. On Debian 12 that library pulls in libsoup3,
 * while whip-client links libsoup2, and libsoup aborts the process at start ("libsoup2 symbols
 * detected"). These are the four symbols libnice imports from it (nm -D --undefined-only
 * libnice.so.10): with no IGD object, libnice skips UPnP altogether, so no SSDP discovery either.
 */

/* No UPnP: libnice checks for NULL and does not map ports. */
void *gupnp_simple_igd_thread_new(void) { return 0; }

/* G_TYPE_OBJECT (G_TYPE_MAKE_FUNDAMENTAL (20)), for a type check libnice never reaches. */
unsigned long gupnp_simple_igd_get_type(void) { return 20UL << 2; }

void gupnp_simple_igd_add_port(void) {}

void gupnp_simple_igd_remove_port_local(void) {}
