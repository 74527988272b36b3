import type { InspectionEvent } from 'xstate';
import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { errorMessage, type Logger } from '../logger';
import { startInspectionRelay } from './inspectionRelay';

export interface StatelyInspectorOptions {
  /** The relay's port on 127.0.0.1; 0 picks a free one. */
  port: number;
  logger: Logger;
  /** The inspector UI the relay page frames; the Stately inspector by default. */
  inspectorUrl?: string;
}

export interface StatelyInspector {
  /** The page a developer opens to watch every session. */
  readonly pageUrl: string;
  /** Where any WebSocket client receives the same events (JSON text, one event each). */
  readonly webSocketUrl: string;
  /** The `inspect` observer for one session's actor (and the effects it invokes). */
  observerFor(sessionId: string): (event: InspectionEvent) => void;
  /** Stops the relay. Idempotent. */
  close(): Promise<void>;
}

/**
 * INSPECT=1: every session's actor system reported to the Stately inspector. `@statelyai/inspect`
 * turns XState's inspection events into the inspector's (actors with their machine definition,
 * the events they receive, their snapshots); a loopback relay passes them to the page and to any
 * WebSocket client. The package's own `createInspectorServer` would listen on every interface and
 * open a browser, and its WebSocket client retries forever once its server is gone: so the relay
 * is this server's, on loopback, and closes with it.
 */
export async function startStatelyInspector({ port, logger, inspectorUrl }: StatelyInspectorOptions): Promise<StatelyInspector> {
  // An ES module: imported when inspection is on, so the server starts without it otherwise.
  const { createInspector } = await import('@statelyai/inspect');
  const relay = await startInspectionRelay({ port, inspectorUrl });
  logger.info(`Stately inspector: open ${relay.pageUrl} to watch every session's actor`, {
    page: relay.pageUrl,
    websocket: relay.webSocketUrl,
  });
  const log = logger.child({ component: 'inspector' });
  return {
    pageUrl: relay.pageUrl,
    webSocketUrl: relay.webSocketUrl,
    observerFor(sessionId) {
      const inspector = createInspector(
        {
          send(event) {
            let message: string;
            try {
              message = JSON.stringify(event);
            } catch (error) {
              log.debug('Inspection event not sent', { session_id: sessionId, type: event.type, error: errorMessage(error) });
              return;
            }
            relay.broadcast(message);
          },
        },
        { serialize: (event) => namedAfterSession(event, sessionId) },
      );
      return (event) => inspector.inspect.next?.(event);
    },
    close: () => relay.close(),
  };
}

/** Every session's actor is "peerSession": the inspector lists each as "peerSession <session id>". */
function namedAfterSession(event: StatelyInspectionEvent, sessionId: string): StatelyInspectionEvent {
  if (event.type !== '@xstate.actor' || event.parentId !== undefined) return event;
  return { ...event, name: `${event.name} ${sessionId}` };
}
