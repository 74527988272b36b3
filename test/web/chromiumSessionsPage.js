// Runs inside Chromium (evaluated as text by chromiumSessions.ts; plain JS so that no
// transpiler helper ends up in the page). Defines window.chromiumSessions: K peer connections
// in this one page, each streaming a clone of the page's single fake camera and microphone to
// POST /offer with an "events" data channel. All times are performance.now() of this page.
(() => {
  const now = () => performance.now();
  /** The serializable record of each session, returned to Node as is. */
  const records = [];
  /** The live objects of each session, by index; never leave the page. */
  const live = [];
  let auth = {};

  function iceGatheringComplete(pc) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
    });
  }

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
    return response.json();
  }

  function isStreamClosed(data) {
    try {
      return JSON.parse(data).event_type === 'stream_closed';
    } catch {
      return false;
    }
  }

  async function startOne(index, camera, connectTimeoutMs) {
    const record = {
      index,
      session_id: null,
      error: null,
      created_at_ms: now(),
      offer_posted_at_ms: null,
      answered_at_ms: null,
      connected_at_ms: null,
      channel_open_at_ms: null,
      connection_states: [],
      end_mode: null,
      end_action_at_ms: null,
      end_action_done_at_ms: null,
      end_action_error: null,
      stream_closed_at_ms: null,
      channel_closed_at_ms: null,
      messages: [],
    };
    records[index] = record;
    const pc = new RTCPeerConnection();
    // The channel's handlers are set before the offer: nothing the server sends can be missed.
    const channel = pc.createDataChannel('events');
    channel.onopen = () => (record.channel_open_at_ms = now());
    channel.onclose = () => (record.channel_closed_at_ms = now());
    channel.onmessage = (event) => {
      const at = now();
      const data = typeof event.data === 'string' ? event.data : `<binary ${event.data.byteLength ?? event.data.size} bytes>`;
      record.messages.push({ at_ms: at, data });
      if (record.stream_closed_at_ms === null && isStreamClosed(data)) record.stream_closed_at_ms = at;
    };
    // Clones, so that stopping one session's tracks leaves the others streaming.
    const stream = new MediaStream(camera.getTracks().map((track) => track.clone()));
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    live[index] = { pc, channel, stream };

    const connected = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not connected after ${connectTimeoutMs} ms`)), connectTimeoutMs);
      pc.addEventListener('connectionstatechange', () => {
        record.connection_states.push({ state: pc.connectionState, at_ms: now() });
        if (pc.connectionState === 'connected' && record.connected_at_ms === null) {
          record.connected_at_ms = now();
          clearTimeout(timer);
          resolve();
        } else if (pc.connectionState === 'failed') {
          clearTimeout(timer);
          reject(new Error('connection failed'));
        }
      });
    });
    // Failures before the wait are reported by the try below; this one must not go unhandled.
    connected.catch(() => {});
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await iceGatheringComplete(pc);
      record.offer_posted_at_ms = now();
      const answer = await postJson('/offer', { sdp: pc.localDescription.sdp, type: 'offer' });
      record.answered_at_ms = now();
      record.session_id = answer.session_id;
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      await connected;
    } catch (error) {
      record.error = String(error && error.message ? error.message : error);
    }
  }

  /** transceiver.stop() on every media transceiver, then a new offer on the live session. */
  async function stopTransceiversAndRenegotiate(pc, sessionId) {
    for (const transceiver of pc.getTransceivers()) transceiver.stop();
    await pc.setLocalDescription(await pc.createOffer());
    const answer = await postJson(`/sessions/${sessionId}/offer`, { sdp: pc.localDescription.sdp, type: 'offer' });
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  }

  /** Takes the end action; resolves when the action itself is done (not the session). */
  async function endAction(mode, { pc, channel, stream }, sessionId) {
    switch (mode) {
      case 'end_stream':
        channel.send(JSON.stringify({ type: 'end_stream' }));
        return;
      case 'stop_tracks':
        for (const track of stream.getTracks()) track.stop();
        return;
      case 'replace_track_null':
        await Promise.all(pc.getSenders().map((sender) => sender.replaceTrack(null)));
        return;
      case 'transceiver_stop':
        await stopTransceiversAndRenegotiate(pc, sessionId);
        return;
      case 'delete': {
        const response = await fetch(`/sessions/${sessionId}`, { method: 'DELETE', headers: auth });
        if (!response.ok) throw new Error(`DELETE answered ${response.status}`);
        return;
      }
      case 'close':
        pc.close();
        return;
      default:
        throw new Error(`unknown end mode ${mode}`);
    }
  }

  window.chromiumSessions = {
    /** Starts `count` sessions at once; resolves with their records once each is connected or failed. */
    async start({ count, token, connectTimeoutMs }) {
      auth = token ? { Authorization: `Bearer ${token}` } : {};
      const camera = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      await Promise.all(Array.from({ length: count }, (_, index) => startOne(index, camera, connectTimeoutMs)));
      return records;
    },

    records() {
      return records;
    },

    /**
     * Ends every connected session the same way, all in one task so that they end together.
     * Returns once every action is under way; each records when it is done (or its error), and
     * messages keep being recorded: Node decides when to stop waiting.
     */
    end({ mode }) {
      records.forEach((record, index) => {
        if (record.error !== null) return;
        record.end_mode = mode;
        record.end_action_at_ms = now();
        endAction(mode, live[index], record.session_id).then(
          () => (record.end_action_done_at_ms = now()),
          (error) => (record.end_action_error = String(error && error.message ? error.message : error)),
        );
      });
      return records;
    },

    /** The live state of each session's connection and channel (for diagnosing a session that went quiet). */
    states() {
      return live.map(({ pc, channel }) => ({
        connection: pc.connectionState,
        ice: pc.iceConnectionState,
        dtls: pc.sctp ? pc.sctp.transport.state : null,
        sctp: pc.sctp ? pc.sctp.state : null,
        channel: channel.readyState,
      }));
    },

    /** Closes every connection and stops every track (the records stay readable). */
    closeAll() {
      for (const session of live) {
        if (!session) continue;
        session.pc.close();
        for (const track of session.stream.getTracks()) track.stop();
      }
    },
  };
})();
