/// <reference lib="dom" />
import type { SessionCounters, SessionRecord, StreamClosedEvent, StreamSummary, TrackStatus } from './wireTypes';

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
  ['detections', 'Detections'],
  ['audio_frames', 'Audio frames'],
  ['audio_seconds', 'Audio seconds'],
];

function renderTracks(tracks: TrackStatus[]): void {
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

export function renderSession(record: SessionRecord): void {
  const state = byId('session-state');
  state.textContent = record.state;
  state.dataset.state = record.state;
  renderTracks(record.tracks);
  renderCounters(record.counters);
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function eventDetail(event: Record<string, unknown>): string {
  const { event_type: _type, session_id: _session, ...rest } = event;
  return Object.keys(rest).length === 0 ? '' : JSON.stringify(rest);
}

/** Appends one line to the event list and keeps the newest line in view. */
export function appendEvent(eventType: string, detail: Record<string, unknown> = {}): void {
  const list = byId('events');
  const item = element('li');
  item.dataset.eventType = eventType;
  const time = element('time', new Date().toLocaleTimeString());
  item.append(time, element('span', eventType, 'type'), eventDetail(detail));
  list.append(item);
  list.scrollTop = list.scrollHeight;
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
