// Runs inside Chromium (evaluated as text by whipIce.test.ts; plain JS so that no transpiler
// helper ends up in the page). Defines window.whipClient: a WHIP client (RFC 9725) written the
// way a browser one is, independent of the server's SDP helpers. It publishes the page's fake
// camera and microphone, trickles its candidates in PATCH fragments (section 4.3.2) and restarts
// ICE with PATCH If-Match: * (section 4.3.3).
(() => {
  const FRAGMENT_TYPE = 'application/trickle-ice-sdpfrag';
  /** The live session: never leaves the page. */
  let session = null;

  /** An SDP's lines, cut into its session part and one list per m-section. */
  function sections(sdp) {
    const result = [[]];
    for (const line of sdp.split(/\r?\n/)) {
      if (line === '') continue;
      if (line.startsWith('m=')) result.push([]);
      result[result.length - 1].push(line);
    }
    return result;
  }

  function attribute(lines, name) {
    const line = lines.find((candidate) => candidate.startsWith(`a=${name}:`));
    return line === undefined ? null : line.slice(name.length + 3);
  }

  /** The credentials of the first m-section (Chromium writes them there, never in the session part). */
  function credentials(sdp) {
    const first = sections(sdp)[1] ?? [];
    return { ufrag: attribute(first, 'ice-ufrag'), pwd: attribute(first, 'ice-pwd') };
  }

  /** The m= line of the section with this mid. */
  function mediaLine(sdp, mid) {
    const section = sections(sdp).slice(1).find((lines) => attribute(lines, 'mid') === mid);
    if (!section) throw new Error(`no m-section with mid ${mid}`);
    return section[0];
  }

  /**
   * A trickle fragment (RFC 8840 section 9, as RFC 9725 section 4.3.2 uses it): the offer's
   * credentials, then per m-section its m= line, mid and the candidates that came for it.
   */
  function trickleFragment(offerSdp, candidates, end) {
    const { ufrag, pwd } = credentials(offerSdp);
    const lines = [`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`];
    const mids = [...new Set(candidates.map((candidate) => candidate.sdpMid))];
    if (mids.length === 0) mids.push(attribute(sections(offerSdp)[1], 'mid'));
    for (const mid of mids) {
      lines.push(mediaLine(offerSdp, mid), `a=mid:${mid}`);
      for (const candidate of candidates.filter((one) => one.sdpMid === mid)) lines.push(`a=${candidate.candidate}`);
    }
    if (end) lines.push('a=end-of-candidates');
    return `${lines.join('\r\n')}\r\n`;
  }

  /** The ICE session of a gathered offer as one fragment: bundle group, first m-section, credentials, candidates. */
  function restartFragment(offerSdp) {
    const [head, first] = sections(offerSdp);
    const { ufrag, pwd } = credentials(offerSdp);
    return `${[
      ...head.filter((line) => line.startsWith('a=group:BUNDLE')),
      first[0],
      `a=mid:${attribute(first, 'mid')}`,
      `a=ice-ufrag:${ufrag}`,
      `a=ice-pwd:${pwd}`,
      ...first.filter((line) => line.startsWith('a=candidate:')),
      'a=end-of-candidates',
    ].join('\r\n')}\r\n`;
  }

  /** The previous answer with the ICE session of the server's fragment: its credentials and candidates. */
  function answerWithNewIce(answerSdp, fragment) {
    const fragmentLines = fragment.split(/\r?\n/);
    const ufrag = attribute(fragmentLines, 'ice-ufrag');
    const pwd = attribute(fragmentLines, 'ice-pwd');
    const candidates = fragmentLines.filter((line) => line.startsWith('a=candidate:'));
    const rewritten = sections(answerSdp).map((lines, index) => {
      const kept = lines
        .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
        .map((line) => (line.startsWith('a=ice-ufrag:') ? `a=ice-ufrag:${ufrag}` : line.startsWith('a=ice-pwd:') ? `a=ice-pwd:${pwd}` : line));
      return index === 1 ? [...kept, ...candidates, 'a=end-of-candidates'] : kept;
    });
    return `${rewritten.flat().join('\r\n')}\r\n`;
  }

  /**
   * The end of the gathering a setLocalDescription is about to start: its null candidate.
   * (iceGatheringState right after the call may still be the previous gathering's "complete".)
   */
  function nextGatheringEnd(pc) {
    return new Promise((resolve) => {
      const onCandidate = ({ candidate }) => {
        if (candidate !== null) return;
        pc.removeEventListener('icecandidate', onCandidate);
        resolve();
      };
      pc.addEventListener('icecandidate', onCandidate);
    });
  }

  async function patch(body, ifMatch) {
    const response = await fetch(session.location, { method: 'PATCH', headers: { 'Content-Type': FRAGMENT_TYPE, 'If-Match': ifMatch }, body });
    return { body, status: response.status, etag: response.headers.get('etag'), contentType: response.headers.get('content-type'), text: await response.text() };
  }

  /**
   * POSTs the offer as createOffer made it (no candidate: gathering has not started), then
   * PATCHes the candidates as onicecandidate brings them, one request at a time in order, the
   * last with a=end-of-candidates. Resolves with every request once gathering is done.
   */
  async function publish() {
    const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    // max-bundle, as RFC 9725 section 4.3.2 expects: candidates come for the first m-section only.
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
    const offer = await pc.createOffer();
    const early = [];
    const patches = [];
    let sending = null;
    let ended = false;
    // This gathering's candidates only: an ICE restart's come in the restart's own fragment.
    const gathered = new Promise((resolve) => {
      const onCandidate = ({ candidate }) => {
        const item = candidate === null || candidate.candidate === '' ? null : { candidate: candidate.candidate, sdpMid: candidate.sdpMid };
        if (item === null) {
          ended = true;
          pc.removeEventListener('icecandidate', onCandidate);
        }
        if (sending === null) {
          if (item) early.push(item);
        } else {
          const etag = session.etag;
          sending = sending.then(() => patch(trickleFragment(offer.sdp, item ? [item] : [], item === null), etag)).then((result) => patches.push(result));
        }
        if (item === null) resolve();
      };
      pc.addEventListener('icecandidate', onCandidate);
    });
    await pc.setLocalDescription(offer);
    const response = await fetch('/whip', { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer.sdp });
    const answerSdp = await response.text();
    if (response.status !== 201) throw new Error(`POST /whip answered ${response.status}: ${answerSdp}`);
    session = { pc, location: response.headers.get('location'), etag: response.headers.get('etag'), answerSdp, media };
    await pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    // What came before the 201 goes in one fragment; the rest one candidate at a time.
    sending = early.length > 0 || ended ? patch(trickleFragment(offer.sdp, early, ended), session.etag).then((result) => patches.push(result)) : Promise.resolve();
    await gathered;
    await sending;
    return { offerSdp: offer.sdp, location: session.location, etag: session.etag, answerSdp, earlyCandidates: early.length, patches };
  }

  /**
   * An ICE restart (RFC 9725 section 4.3.3): new credentials, gathered in full before the PATCH
   * with If-Match: * (so no candidate waits for the new ETag), then the previous answer with the
   * server's new ICE session as the new remote answer.
   */
  async function restart() {
    const { pc } = session;
    const previousUfrag = credentials(pc.localDescription.sdp).ufrag;
    pc.restartIce();
    const gathered = nextGatheringEnd(pc);
    await pc.setLocalDescription(await pc.createOffer());
    await gathered;
    const result = await patch(restartFragment(pc.localDescription.sdp), '*');
    if (result.status !== 200) return { previousUfrag, ...result, answerSdp: null };
    const answerSdp = answerWithNewIce(session.answerSdp, result.text);
    await pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    session.answerSdp = answerSdp;
    session.etag = result.etag;
    return { previousUfrag, ufrag: credentials(pc.localDescription.sdp).ufrag, ...result, answerSdp };
  }

  /**
   * The pair Chromium sends over as its stats tell it, with the ICE session its local candidate
   * belongs to: a restart that completed moves it to a candidate of the new session.
   */
  async function selectedPair() {
    const stats = [...(await session.pc.getStats()).values()];
    const transport = stats.find((entry) => entry.type === 'transport' && entry.selectedCandidatePairId);
    const pair = transport && stats.find((entry) => entry.id === transport.selectedCandidatePairId);
    if (!pair) return null;
    const local = stats.find((entry) => entry.id === pair.localCandidateId);
    const remote = stats.find((entry) => entry.id === pair.remoteCandidateId);
    return {
      state: pair.state,
      nominated: pair.nominated,
      localUfrag: local?.usernameFragment ?? null,
      changes: transport.selectedCandidatePairChanges,
      remote: remote ? `${remote.candidateType} ${remote.protocol} ${remote.address}:${remote.port}` : null,
      bytesSent: pair.bytesSent,
    };
  }

  function state() {
    return session ? { connection: session.pc.connectionState, ice: session.pc.iceConnectionState } : null;
  }

  function stop() {
    if (!session) return;
    session.pc.close();
    for (const track of session.media.getTracks()) track.stop();
    session = null;
  }

  window.whipClient = { publish, restart, selectedPair, state, stop };
})();
