import { SessionClosedError } from '../peer/negotiation';
import { NegotiationError, NotAcceptingError } from '../sessions/sessionManager';
import { HttpProblem } from './problem';

/** The problem a client gets when its offer (first or renegotiating) is refused; other errors pass through. */
function offerProblem(error: unknown): unknown {
  if (error instanceof NotAcceptingError) {
    return new HttpProblem(503, 'Not accepting sessions', error.message, { 'Retry-After': '5' });
  }
  if (error instanceof NegotiationError) {
    return new HttpProblem(400, 'Offer rejected', `the offer could not be negotiated: ${error.message}`);
  }
  if (error instanceof SessionClosedError) return new HttpProblem(409, 'Session closing', error.message);
  return error;
}

/** Runs a negotiation (a first offer or a renegotiation); a refused offer becomes its problem. */
export async function negotiate<T>(negotiation: () => Promise<T>): Promise<T> {
  try {
    return await negotiation();
  } catch (error) {
    throw offerProblem(error);
  }
}
