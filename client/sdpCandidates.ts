/**
 * Candidate filtering for a client whose ICE is bound to one address.
 *
 * With `iceInterfaceAddresses` werift binds every ICE socket to that one address but still
 * advertises a host candidate per interface (the other addresses then point at ports
 * nobody listens on), so the peer would send connectivity checks to addresses we never use.
 */
export function keepCandidatesOn(sdp: string, address: string): string {
  return keepCandidates(sdp, (candidate) => candidate === address);
}

/**
 * A socket bound to loopback only reaches loopback peers: drop the remote candidates it
 * could only probe in vain (a server bound to loopback advertises its other interfaces too).
 */
export function keepLoopbackCandidates(sdp: string): string {
  return keepCandidates(sdp, isLoopbackAddress);
}

/** What a client whose ICE is bound to `interfaceAddress` (if it is) offers: its candidates on that address only. */
export function candidatesToOffer(sdp: string, interfaceAddress: string | undefined): string {
  return interfaceAddress ? keepCandidatesOn(sdp, interfaceAddress) : sdp;
}

/** The answer's candidates such a client can reach: loopback ones only when it is bound to loopback. */
export function reachableCandidates(sdp: string, interfaceAddress: string | undefined): string {
  const boundToLoopback = interfaceAddress !== undefined && isLoopbackAddress(interfaceAddress);
  return boundToLoopback ? keepLoopbackCandidates(sdp) : sdp;
}

export function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

function keepCandidates(sdp: string, keep: (address: string) => boolean): string {
  return sdp
    .split('\r\n')
    .filter((line) => {
      if (!line.startsWith('a=candidate:')) return true;
      const address = candidateAddress(line);
      return address !== undefined && keep(address);
    })
    .join('\r\n');
}

/** `a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...` */
function candidateAddress(line: string): string | undefined {
  return line.split(' ')[4];
}
