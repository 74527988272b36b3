import type { SessionListEntry, SessionView } from '../../protocol';
import { InstanceUnreachableError, type ClusterRpc } from './clusterRpc';
import type { InstanceInfo, InstanceRegistry } from './instanceRegistry';
import type { RecordStore, StoredRecord } from './recordStore';
import type { DirectoryEntry, SessionDirectory } from './sessionDirectory';

/** The parts of the cluster a lookup reads. */
export interface LookupParts {
  instanceId: string;
  directory: SessionDirectory;
  records: RecordStore;
  registry: InstanceRegistry;
  rpc: ClusterRpc;
}

/**
 * What the cluster knows of a session this instance does not hold, in order: the instance
 * holding it live (asked for its current record), its final record, or the record it opened
 * with. An opening record whose session left the directory without a final record belongs to an
 * instance that died: it is answered as ended with reason `error`, from when that instance was
 * last heard of, and never as live.
 */
export async function lookupSession(parts: LookupParts, sessionId: string): Promise<SessionView | undefined> {
  const [entry, record] = await Promise.all([parts.directory.lookup(sessionId), parts.records.get(sessionId)]);
  if (record?.ended_at != null) return record;
  const owner = entry?.instanceId ?? (record && holds(await parts.registry.get(record.instance_id), record) ? record.instance_id : null);
  if (owner && owner !== parts.instanceId) {
    try {
      const live = (await parts.rpc.call(owner, 'view', sessionId)) as SessionView | null;
      if (live) return live;
    } catch (error) {
      if (!(error instanceof InstanceUnreachableError)) throw error;
    }
  }
  if (!record) return undefined;
  if (entry) return { ...record, state: entry.state };
  return endedWithInstance(record, await parts.registry.lastSeen(record.instance_id));
}

/** The cluster's sessions (live anywhere, or ended within the retention window), newest first. */
export async function listSessions(parts: LookupParts): Promise<SessionListEntry[]> {
  const [entries, records, instances] = await Promise.all([parts.directory.list(), parts.records.all(), parts.registry.list()]);
  const live = new Map<string, DirectoryEntry>(entries.map((entry) => [entry.sessionId, entry]));
  const alive = new Map(instances.map((instance) => [instance.instance_id, instance]));
  const listed = new Map<string, SessionListEntry>();
  const lastSeen = new Map<string, number | null>();
  for (const record of records) {
    if (record.ended_at == null && !live.has(record.session_id) && !holds(alive.get(record.instance_id), record) && !lastSeen.has(record.instance_id)) {
      lastSeen.set(record.instance_id, await parts.registry.lastSeen(record.instance_id));
    }
  }
  for (const record of records) {
    const { session_id, started_at } = record;
    const entry = live.get(session_id);
    if (record.ended_at != null) listed.set(session_id, { session_id, state: record.state, started_at, ended_at: record.ended_at });
    else if (entry) listed.set(session_id, { session_id, state: entry.state, started_at, ended_at: null });
    else if (holds(alive.get(record.instance_id), record)) listed.set(session_id, { session_id, state: record.state, started_at, ended_at: null });
    else listed.set(session_id, { session_id, state: 'Released', started_at, ended_at: endedAt(record, lastSeen.get(record.instance_id) ?? null) });
  }
  for (const entry of entries) {
    if (!listed.has(entry.sessionId)) listed.set(entry.sessionId, { session_id: entry.sessionId, state: entry.state, started_at: entry.startedAt, ended_at: null });
  }
  return [...listed.values()];
}

/**
 * Whether a live instance may still hold a session it opened: not if it started after the
 * session did (it was restarted under the same INSTANCE_ID, and the session died with the old process).
 */
function holds(instance: InstanceInfo | null | undefined, record: StoredRecord): boolean {
  return !!instance && instance.started_at <= record.started_at;
}

/** A dead instance's session: ended when the instance was last heard of (or now, if that is not known). */
function endedAt(record: StoredRecord, lastSeen: number | null): number {
  return Math.max(record.started_at, lastSeen ?? Date.now());
}

function endedWithInstance(record: StoredRecord, lastSeen: number | null): SessionView {
  return {
    ...record,
    state: 'Released',
    ended_at: endedAt(record, lastSeen),
    reason: 'error',
    faults: [...record.faults, `instance ${record.instance_id} stopped while holding the session; its counters are lost`],
  };
}
