import { onInputRefused, type RefusedInputKind } from 'werift';
import { LogBudget } from '../limits/logBudget';
import { refusals, type RefusedResource } from '../limits/refusals';
import type { Logger } from '../logger';

/** What werift refuses below the session (patches/werift+0.25.2+001+input-refusals.patch and the patches that report through it), as our refusal resources. */
const RESOURCE_OF: Record<RefusedInputKind, RefusedResource> = {
  udp_datagram: 'udp_datagram',
  dtls_early_record: 'dtls_early_record',
  stun_request: 'stun_request',
};

let counting: { log: Logger; budget: LogBudget } | null = null;

/**
 * Counts, per thread, what werift drops at a session's ICE port before any session sees it:
 * datagrams from addresses that passed no ICE check or holding no whole DTLS record, early DTLS
 * records that are not the peer's first flight, STUN requests without valid credentials. They
 * belong to no session (the sender may be anyone), so the warning budget is the thread's: the
 * 1st, 10th, 100th... of each kind is logged. werift's hook is one event per module instance,
 * i.e. per thread; calling this again only changes the logger.
 */
export function countTransportRefusals(log: Logger): void {
  if (counting) {
    counting.log = log;
    return;
  }
  const state = { log, budget: new LogBudget() };
  counting = state;
  onInputRefused.subscribe((kind, reason) => {
    const resource = RESOURCE_OF[kind] ?? 'udp_datagram';
    refusals.count(resource);
    state.budget.warn(state.log, kind, 'Datagram refused at an ICE port', { resource, reason });
  });
}
