import type { SessionListEntry } from './';

/**
 * `GET /sessions` in pages: newest first (started_at, then session_id, both descending), at most
 * `limit` entries, after `cursor` (the last entry of the page before). Each page reads at most
 * about `limit` records, whatever the cluster holds.
 */
export interface ListingPage {
  limit: number;
  after: ListingCursor | null;
}

export interface ListingCursor {
  startedAt: number;
  sessionId: string;
}

/** GET /sessions answers at most this many entries (and, by default, this many). */
export const MAX_LISTING_LIMIT = 1000;

/** The first page, as large as one may be: what `GET /sessions` without parameters answers. */
export const FIRST_PAGE: ListingPage = { limit: MAX_LISTING_LIMIT, after: null };

/** `<started_at>.<session_id>`, opaque to clients. */
export function encodeCursor(entry: Pick<SessionListEntry, 'started_at' | 'session_id'>): string {
  return `${entry.started_at}.${entry.session_id}`;
}

export function decodeCursor(text: string): ListingCursor | null {
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(text);
  return match ? { startedAt: Number(match[1]), sessionId: match[2]! } : null;
}

/** Whether `entry` comes after `cursor` in listing order. */
export function isAfter(entry: Pick<SessionListEntry, 'started_at' | 'session_id'>, cursor: ListingCursor | null): boolean {
  if (!cursor) return true;
  if (entry.started_at !== cursor.startedAt) return entry.started_at < cursor.startedAt;
  return entry.session_id < cursor.sessionId;
}

/** Listing order: newest first, ties by session_id descending (Redis's reverse order of a sorted set). */
export function listingOrder(a: SessionListEntry, b: SessionListEntry): number {
  if (a.started_at !== b.started_at) return b.started_at - a.started_at;
  return a.session_id < b.session_id ? 1 : a.session_id > b.session_id ? -1 : 0;
}

/** `GET /sessions`: `next_cursor` only when there is more (API.md). */
export interface SessionPage {
  sessions: SessionListEntry[];
  next_cursor?: string;
}

/** One page of `entries` (in any order), and the cursor of the next page when there is more. */
export function pageOf(entries: SessionListEntry[], page: ListingPage): SessionPage {
  const sorted = entries.filter((entry) => isAfter(entry, page.after)).sort(listingOrder);
  const sessions = sorted.slice(0, page.limit);
  const last = sessions[sessions.length - 1];
  return sorted.length > page.limit && last ? { sessions, next_cursor: encodeCursor(last) } : { sessions };
}
