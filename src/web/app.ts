/// <reference lib="dom" />
import { loadLifecycleView } from './lifecycleView';
import { takeTokenFromAddress } from './pageAuth';
import { pollSession, type SessionPoller } from './sessionPoller';
import { negotiate } from './signaling';
import {
  appendEvent,
  byId,
  describeDetections,
  drawDetectionBoxes,
  renderSession,
  showConnectionState,
  showSessionId,
  showDetectionTotals,
  showStatus,
  showSummaryCard,
  trimEvents,
  type SummarySource,
} from './views';
import type { DetectionEvent, SessionView, StreamClosedEvent } from '../protocol';
import { isDetectionEvent, isStreamClosedEvent, parseReceivedEvent } from '../protocol/eventGuards';

interface Call {
  pc: RTCPeerConnection;
  stream: MediaStream;
  video: RTCRtpSender | null;
  audio: RTCRtpSender | null;
  poller: SessionPoller | null;
}

const buttons = {
  start: byId<HTMLButtonElement>('start'),
  stopCamera: byId<HTMLButtonElement>('stop-camera'),
  stopMicrophone: byId<HTMLButtonElement>('stop-microphone'),
  stopEverything: byId<HTMLButtonElement>('stop-everything'),
  hangUp: byId<HTMLButtonElement>('hang-up'),
};

// First, before anything can read or record the address: the token leaves the address bar.
// A #token= pasted into the address of the open page is taken the same way.
takeTokenFromAddress();
window.addEventListener('hashchange', takeTokenFromAddress);

let call: Call | null = null;
let summaryShown = false;
const lifecycle = loadLifecycleView((message) => showStatus(message, true));

/**
 * The server sends at most a few detection events a second while it finds something and none
 * when it finds nothing: boxes older than this are taken down, so they do not outlive the object.
 */
const DETECTION_BOX_LIFETIME_MS = 1500;
/** Detection lines kept in the event list (the other events are all kept). */
const DETECTION_LINES_KEPT = 200;

const detections = {
  found: 0,
  events: 0,
  boxes: null as DetectionEvent | null,
  expiry: undefined as ReturnType<typeof setTimeout> | undefined,
};

function showBoxes(event: DetectionEvent | null): void {
  detections.boxes = event;
  drawDetectionBoxes(event);
  clearTimeout(detections.expiry);
  if (event) detections.expiry = setTimeout(() => showBoxes(null), DETECTION_BOX_LIFETIME_MS);
}

function onDetectionEvent(event: DetectionEvent): void {
  detections.found += event.detections.length;
  detections.events += 1;
  showDetectionTotals(event, detections.found, detections.events);
  showBoxes(event);
  appendEvent(event.event_type, event, describeDetections(event));
  trimEvents(event.event_type, DETECTION_LINES_KEPT);
}

/** Boxes follow the preview when it is resized or its picture changes size. */
function redrawBoxesOnResize(preview: HTMLVideoElement): void {
  const redraw = () => drawDetectionBoxes(detections.boxes);
  new ResizeObserver(redraw).observe(preview);
  preview.addEventListener('resize', redraw);
}

function refreshButtons(): void {
  const open = call !== null && call.pc.signalingState !== 'closed';
  const live = (sender: RTCRtpSender | null | undefined) => open && sender?.track?.readyState === 'live';
  buttons.start.disabled = call !== null;
  buttons.stopCamera.disabled = !live(call?.video);
  buttons.stopMicrophone.disabled = !live(call?.audio);
  buttons.stopEverything.disabled = !live(call?.video) && !live(call?.audio);
  buttons.hangUp.disabled = !open;
}

function showSummaryOnce(closed: StreamClosedEvent, source: SummarySource): void {
  if (summaryShown) return;
  summaryShown = true;
  showSummaryCard(closed, source);
  showStatus('The stream is closed. Reload the page to start again.');
}

function onSessionRecord(record: SessionView): void {
  renderSession(record);
  lifecycle.show(record);
  // Until Released the server may still be delivering stream_closed on the data channel;
  // the record is the fallback for a summary the channel could not carry.
  if (record.summary && record.reason && record.state === 'Released') {
    const closed: StreamClosedEvent = {
      event_type: 'stream_closed',
      session_id: record.session_id,
      reason: record.reason,
      summary: record.summary,
    };
    showSummaryOnce(closed, 'session-record');
  }
}

function openEventsChannel(pc: RTCPeerConnection): void {
  const channel = pc.createDataChannel('events');
  channel.addEventListener('open', () => appendEvent('channel_open'));
  channel.addEventListener('close', () => appendEvent('channel_closed'));
  channel.addEventListener('message', (message: MessageEvent) => {
    const event = parseReceivedEvent(message.data);
    if (!event) {
      appendEvent('unreadable_message', { data: String(message.data).slice(0, 200) });
      return;
    }
    if (isDetectionEvent(event)) {
      onDetectionEvent(event);
      return;
    }
    appendEvent(event.event_type, event);
    if (isStreamClosedEvent(event)) showSummaryOnce(event, 'data-channel');
  });
}

async function start(): Promise<void> {
  buttons.start.disabled = true;
  showStatus('Asking for the camera and microphone…');
  const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  byId<HTMLVideoElement>('preview').srcObject = stream;

  const pc = new RTCPeerConnection();
  openEventsChannel(pc);
  const [videoTrack] = stream.getVideoTracks();
  const [audioTrack] = stream.getAudioTracks();
  call = {
    pc,
    stream,
    video: videoTrack ? pc.addTrack(videoTrack, stream) : null,
    audio: audioTrack ? pc.addTrack(audioTrack, stream) : null,
    poller: null,
  };
  pc.addEventListener('connectionstatechange', () => {
    showConnectionState(pc.connectionState);
    refreshButtons();
  });
  refreshButtons();

  showStatus('Connecting…');
  const sessionId = await negotiate(pc);
  showSessionId(sessionId);
  document.body.dataset.sessionId = sessionId;
  call.poller = pollSession(sessionId, onSessionRecord, (message) => showStatus(message, true));
  showStatus('Streaming.');
}

function stopSender(sender: RTCRtpSender | null | undefined): void {
  sender?.track?.stop();
  refreshButtons();
}

function hangUp(): void {
  if (!call) return;
  call.pc.close();
  for (const track of call.stream.getTracks()) track.stop();
  showConnectionState('closed');
  showStatus('Hung up; waiting for the server to close the session.');
  refreshButtons();
}

function failed(error: unknown): void {
  showStatus(`Failed: ${(error as Error).message ?? String(error)}`, true);
  refreshButtons();
}

buttons.start.addEventListener('click', () => start().catch(failed));
buttons.stopCamera.addEventListener('click', () => stopSender(call?.video));
buttons.stopMicrophone.addEventListener('click', () => stopSender(call?.audio));
buttons.stopEverything.addEventListener('click', () => {
  stopSender(call?.video);
  stopSender(call?.audio);
});
buttons.hangUp.addEventListener('click', hangUp);
redrawBoxesOnResize(byId<HTMLVideoElement>('preview'));
