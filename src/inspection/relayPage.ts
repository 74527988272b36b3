/**
 * The page a developer opens to watch sessions: the Stately inspector in a frame, fed with the
 * server's inspection events. The script takes them from the relay's WebSocket and hands them to
 * the frame by postMessage once the inspector says it is listening (`@statelyai.connected`), the
 * protocol of `@statelyai/inspect`'s own browser bridge (`createInspectorServer`'s page).
 *
 * Only the inspector's frame, from the inspector's origin, is heard: any other window (one that
 * opened this page, a frame the inspector's page opens elsewhere) could otherwise claim to be the
 * inspector first, and the sessions' events would be posted to its origin, or to no one.
 */

/** Where the Stately inspector's UI lives; the developer's browser loads it, the server never does. */
export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function relayPageHtml(inspectorUrl: string = STATELY_INSPECTOR_URL): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sessions in the Stately inspector</title>
<style>
  html, body { height: 100%; margin: 0; font: 13px system-ui, sans-serif; }
  body { display: flex; flex-direction: column; }
  #status { padding: 4px 8px; background: #222; color: #ddd; }
  iframe { flex: 1; width: 100%; border: 0; }
</style>
</head>
<body>
<div id="status">connecting to the server…</div>
<iframe id="inspector" data-src="${escapeAttribute(inspectorUrl)}" title="Stately inspector"></iframe>
<script src="/relay.js"></script>
</body>
</html>
`;
}

/** Served as /relay.js (the page's Content-Security-Policy allows no inline script). */
export const RELAY_PAGE_SCRIPT = `'use strict';
const frame = document.getElementById('inspector');
const status = document.getElementById('status');
const waiting = [];
const expectedOrigin = new URL(frame.dataset.src, location.href).origin;
let inspectorOrigin = null;
let received = 0;

function deliver(event) {
  frame.contentWindow.postMessage(event, inspectorOrigin);
}

window.addEventListener('message', (message) => {
  if (message.source !== frame.contentWindow || message.origin !== expectedOrigin) return;
  if (!message.data || message.data.type !== '@statelyai.connected' || inspectorOrigin !== null) return;
  inspectorOrigin = message.origin;
  waiting.splice(0).forEach(deliver);
});
// Loaded only now, so that its "connected" message cannot come before the listener above.
frame.src = frame.dataset.src;

const socket = new WebSocket('ws://' + location.host + '/');
socket.addEventListener('open', () => {
  status.textContent = 'connected to the server: every session appears as an actor "peerSession <session id>"';
});
socket.addEventListener('message', (message) => {
  received += 1;
  const event = JSON.parse(message.data);
  if (inspectorOrigin === null) waiting.push(event);
  else deliver(event);
  status.dataset.received = String(received);
});
socket.addEventListener('close', () => {
  status.textContent = 'the server has stopped: reload this page once it runs again';
});
`;
