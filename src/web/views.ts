/// <reference lib="dom" />
import type {
  Detection,
  DetectionEvent,
  SessionCounters,
  SessionView,
  StreamClosedEvent,
  StreamSummary,
  TrackView,
} from '../protocol';

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no element #${id}`);
  return element as T;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function showStatus(message: string, isError = false): void {
  const status = byId('status');
  status.textContent = message;
  status.classList.toggle('error', isError);
}

export function showSessionId(sessionId: string): void {
  byId('session-id').textContent = sessionId;
}

export function showConnectionState(state: string): void {
  byId('connection-state').textContent = state;
}

const COUNTER_LABELS: Array<[keyof SessionCounters, string]> = [
  ['frames_received', 'Frames received'],
  ['frames_processed', 'Frames processed'],
  ['frames_dropped', 'Frames dropped'],
  ['frames_analyzed', 'Frames analysed'],
  ['frames_not_sampled', 'Frames not sampled (ANALYSIS_FPS)'],
  ['detections', 'Detections'],
  ['audio_frames', 'Audio frames'],
  ['audio_seconds', 'Audio seconds'],
];

function renderTracks(tracks: TrackView[]): void {
  const list = byId('tracks');
  if (tracks.length === 0) {
    list.replaceChildren(element('li', 'none yet', 'empty'));
    return;
  }
  list.replaceChildren(
    ...tracks.map((track) => {
      const item = element('li');
      item.dataset.testid = `track-${track.kind}`;
      item.dataset.status = track.status;
      const ending = track.end_reason ? ` (${track.end_reason})` : '';
      item.append(`${track.kind}: `, element('span', `${track.status}${ending}`, track.status));
      return item;
    }),
  );
}

function renderCounters(counters: SessionCounters): void {
  const list = byId('counters');
  list.replaceChildren(
    ...COUNTER_LABELS.flatMap(([key, label]) => {
      const value = element('dd', formatNumber(counters[key] ?? 0));
      value.id = `counter-${key}`;
      value.dataset.testid = `counter-${key}`;
      return [element('dt', label), value];
    }),
  );
}

export function renderSession(record: SessionView): void {
  const state = byId('session-state');
  state.textContent = record.state;
  state.dataset.state = record.state;
  renderTracks(record.tracks);
  renderCounters(record.counters);
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function eventDetail(event: object): string {
  const { event_type: _type, session_id: _session, ...rest } = event as Record<string, unknown>;
  return Object.keys(rest).length === 0 ? '' : JSON.stringify(rest);
}

/**
 * Appends one line to the event list and keeps the newest line in view. `text` replaces the
 * event's fields as JSON.
 */
export function appendEvent(eventType: string, detail: object = {}, text = eventDetail(detail)): void {
  const list = byId('events');
  const item = element('li');
  item.dataset.eventType = eventType;
  const time = element('time', new Date().toLocaleTimeString());
  item.append(time, element('span', eventType, 'type'), text);
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

/** Removes the oldest lines of one event type beyond `keep`, so a long stream of them cannot grow the page without bound. */
export function trimEvents(eventType: string, keep: number): void {
  const items = byId('events').querySelectorAll(`li[data-event-type="${eventType}"]`);
  for (let i = 0; i < items.length - keep; i++) items[i]!.remove();
}

const SUMMARY_FIELDS: Array<[string, string, (summary: StreamSummary) => string]> = [
  ['frames-received', 'Frames received', (s) => formatNumber(s.total_frames_received)],
  ['frames-processed', 'Frames processed', (s) => formatNumber(s.total_frames_processed)],
  ['frames-dropped', 'Frames dropped', (s) => formatNumber(s.total_frames_dropped)],
  ['detections', 'Detections', (s) => formatNumber(s.total_detections)],
  ['duration', 'Duration', (s) => `${s.duration_sec.toFixed(1)} s`],
  ['audio-seconds', 'Audio', (s) => (typeof s.audio_seconds === 'number' ? `${s.audio_seconds.toFixed(1)} s` : '–')],
];

/** Where the page learnt the summary: the stream_closed event, or GET /sessions/<id> after the session ended. */
export type SummarySource = 'data-channel' | 'session-record';

export function showSummaryCard(closed: StreamClosedEvent, source: SummarySource): void {
  byId('summary-reason').textContent = closed.reason.replace(/_/g, ' ');
  byId('summary-fields').replaceChildren(
    ...SUMMARY_FIELDS.flatMap(([key, label, format]) => {
      const value = element('dd', format(closed.summary));
      value.dataset.testid = `summary-${key}`;
      return [element('dt', label), value];
    }),
  );
  const card = byId('summary-card');
  card.dataset.source = source;
  card.hidden = false;
}

/** A rectangle in CSS pixels. */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Where a video element of `boxWidth` x `boxHeight` shows a `videoWidth` x `videoHeight` picture
 * with object-fit: contain (the default): scaled to fit, centred, letterboxed.
 */
export function shownPictureRect(boxWidth: number, boxHeight: number, videoWidth: number, videoHeight: number): Rect {
  if (!(videoWidth > 0 && videoHeight > 0)) return { left: 0, top: 0, width: boxWidth, height: boxHeight };
  const scale = Math.min(boxWidth / videoWidth, boxHeight / videoHeight);
  const width = videoWidth * scale;
  const height = videoHeight * scale;
  return { left: (boxWidth - width) / 2, top: (boxHeight - height) / 2, width, height };
}

/** A bbox in pixels of a `frameWidth` x `frameHeight` picture, placed on the shown picture. */
export function placeBox(bbox: Detection['bbox'], frameWidth: number, frameHeight: number, shown: Rect): Rect {
  const [x, y, w, h] = bbox;
  const sx = shown.width / frameWidth;
  const sy = shown.height / frameHeight;
  return { left: shown.left + x * sx, top: shown.top + y * sy, width: w * sx, height: h * sy };
}

/** The size of the picture an event's boxes are in: the event's own, else the preview's. */
function analysedSize(event: DetectionEvent, preview: HTMLVideoElement): [number, number] {
  return [event.frame_width ?? preview.videoWidth, event.frame_height ?? preview.videoHeight];
}

const formatScore = (score: number) => score.toFixed(2);
const formatBox = ([x, y, w, h]: Detection['bbox']) => `(${Math.round(x)}, ${Math.round(y)}) ${Math.round(w)}×${Math.round(h)}`;

/** The detection of an event to show as the latest: its best score. */
export function bestDetection(event: DetectionEvent): Detection | undefined {
  return event.detections.reduce<Detection | undefined>((best, d) => (!best || d.score > best.score ? d : best), undefined);
}

/** One line for the event list: each detection's label, score and box, and the picture size. */
export function describeDetections(event: DetectionEvent): string {
  const found = event.detections.map((d) => `${d.label} ${formatScore(d.score)} at ${formatBox(d.bbox)}`).join('; ');
  const size = event.frame_width && event.frame_height ? ` in ${event.frame_width}×${event.frame_height}` : '';
  return `${found || 'nothing'}${size}`;
}

/**
 * Draws the event's boxes over the camera preview, scaled from the analysed picture to the
 * picture as shown; null clears them. Positions are set through the CSSOM, which the page's
 * Content-Security-Policy allows (it forbids inline style attributes).
 */
export function drawDetectionBoxes(event: DetectionEvent | null): void {
  const overlay = byId('detection-overlay');
  if (!event) {
    overlay.replaceChildren();
    return;
  }
  const preview = byId<HTMLVideoElement>('preview');
  const [frameWidth, frameHeight] = analysedSize(event, preview);
  if (!(frameWidth > 0 && frameHeight > 0)) {
    overlay.replaceChildren();
    return;
  }
  const shown = shownPictureRect(overlay.clientWidth, overlay.clientHeight, preview.videoWidth, preview.videoHeight);
  overlay.replaceChildren(
    ...event.detections.map((detection) => {
      const placed = placeBox(detection.bbox, frameWidth, frameHeight, shown);
      const box = element('div', undefined, 'detection-box');
      box.dataset.testid = 'detection-box';
      box.dataset.bbox = detection.bbox.join(',');
      box.style.left = `${placed.left}px`;
      box.style.top = `${placed.top}px`;
      box.style.width = `${placed.width}px`;
      box.style.height = `${placed.height}px`;
      box.append(element('span', `${detection.label} ${formatScore(detection.score)}`, 'detection-label'));
      return box;
    }),
  );
}

/** The live detection counters and the latest detection (label, score, box, picture size). */
export function showDetectionTotals(event: DetectionEvent, detections: number, events: number): void {
  byId('detection-count').textContent = String(detections);
  byId('detection-event-count').textContent = String(events);
  const best = bestDetection(event);
  if (!best) return;
  const latest = byId('latest-detection');
  const [frameWidth, frameHeight] = analysedSize(event, byId<HTMLVideoElement>('preview'));
  latest.classList.remove('empty');
  latest.textContent = `${best.label} ${formatScore(best.score)} at ${formatBox(best.bbox)} in ${frameWidth}×${frameHeight}`;
  Object.assign(latest.dataset, {
    label: best.label,
    score: String(best.score),
    bbox: best.bbox.join(','),
    frameWidth: String(frameWidth),
    frameHeight: String(frameHeight),
  });
}
