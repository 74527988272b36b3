import type { SessionListEntry, SessionView } from '../protocol';
import type { ClusterRpc } from './clusterRpc';
import type { InstanceInfo, InstanceRegistry } from './instanceRegistry';
import type { RecordStore, StoredRecord } from './recordStore';
import type { ListingPage } from '../protocol/sessionListing';
import type { SessionDirectory } from './sessionDirectory';
import { isError } from '../errors';

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
      if (!isError(error, 'InstanceUnreachableError')) throw error;
    }
  }
  if (!record) return undefined;
  if (entry) return { ...record, state: entry.state };
  return endedWithInstance(record, await parts.registry.lastSeen(record.instance_id));
}

/**
 * One page of the cluster's sessions (live anywhere, or ended within the retention window), in
 * listing order: reads the page's records and their directory entries only, never all of Redis.
 * A live session is listed once it has its opening record (written with its directory entry).
 */
export async function listSessions(parts: LookupParts, page: ListingPage): Promise<SessionListEntry[]> {
  const records = await parts.records.page(page.limit + 1, page.after);
  if (records.length === 0) return [];
  const [entries, instances] = await Promise.all([parts.directory.lookupMany(records.map((record) => record.session_id)), parts.registry.list()]);
  const alive = new Map(instances.map((instance) => [instance.instance_id, instance]));
  const lastSeen = new Map<string, number | null>();
  for (const [index, record] of records.entries()) {
    if (record.ended_at == null && !entries[index] && !holds(alive.get(record.instance_id), record) && !lastSeen.has(record.instance_id)) {
      lastSeen.set(record.instance_id, await parts.registry.lastSeen(record.instance_id));
    }
  }
  return records.map((record, index): SessionListEntry => {
    const { session_id, started_at } = record;
    const entry = entries[index];
    if (record.ended_at != null) return { session_id, state: record.state, started_at, ended_at: record.ended_at };
    if (entry) return { session_id, state: entry.state, started_at, ended_at: null };
    if (holds(alive.get(record.instance_id), record)) return { session_id, state: record.state, started_at, ended_at: null };
    return { session_id, state: 'Released', started_at, ended_at: endedAt(record, lastSeen.get(record.instance_id) ?? null) };
  });
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
