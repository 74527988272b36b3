/**
 * Every error the server raises on purpose, in one module that imports nothing, so that every
 * folder may import it (runs on any thread).
 *
 * Each has a stable `name`, its class's name, and is recognised by that name with
 * `isError(error, 'NoCandidateError')`, never with `instanceof`: an error thrown in a media
 * worker reaches the main thread as a plain Error that keeps only its name and message (the
 * worker protocol carries both, see `crossedError`), so a test of its class would miss it there.
 * Fields beyond name and message stay on the thread that raised the error; the errors that cross
 * from a media worker (NoCandidateError, IceFragmentError, IcePreconditionError,
 * FingerprintChangedError) carry none.
 */
import type { AnalysisDropReason } from './protocol';

/** An RFC 9457 problem: thrown by HTTP handlers, rendered as application/problem+json (http/problem.ts). */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/** An environment variable that cannot be used; the message names it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Thrown by a BitReader asked to read past its data, or given a code no decoder accepts. */
export class BitstreamEnded extends Error {
  override readonly name = 'BitstreamEnded';
}

/** A frame the analysis did not take, counted under `reason` (not as an analysis error). */
export class FrameDropped extends Error {
  override readonly name = 'FrameDropped';
  constructor(
    readonly reason: AnalysisDropReason,
    message: string,
    /** The decoder took the frame (it was dropped after decoding): it need not wait for a keyframe. */
    readonly decoderIntact = false,
  ) {
    super(message);
  }
}

/** This instance takes no new session (draining, full, or no ICE candidate to offer). */
export class NotAcceptingError extends Error {
  override readonly name = 'NotAcceptingError';
}

/** The client's offer could not be negotiated; the message says why. */
export class NegotiationError extends Error {
  override readonly name = 'NegotiationError';
}

/** If-Match names an ICE session that is no longer the current one (412). */
export class IcePreconditionError extends Error {
  override readonly name = 'IcePreconditionError';
}

/** The session is closing or closed: it takes no more offers or ICE updates (409). */
export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';
}

/** The answer would have no ICE candidate: this server has no port (or address) to offer. */
export class NoCandidateError extends Error {
  override readonly name = 'NoCandidateError';
}

/** The instance holding a session did not answer (dead, overloaded, or cut off from Redis). */
export class InstanceUnreachableError extends Error {
  override readonly name = 'InstanceUnreachableError';
}

/** Redis cannot be reached: only this instance's own sessions are known. */
export class ClusterUnavailableError extends Error {
  override readonly name = 'ClusterUnavailableError';
}

/** The offer is not something werift reads the way our checks do; the message says why. */
export class OfferShapeError extends Error {
  override readonly name = 'OfferShapeError';
}

/** A body that is not a trickle ICE fragment; its message says which line and why. */
export class IceFragmentError extends Error {
  override readonly name = 'IceFragmentError';
}

/** A renegotiation whose DTLS fingerprints are not the session's first offer's: another party's certificate (409). */
export class FingerprintChangedError extends Error {
  override readonly name = 'FingerprintChangedError';
}

/** The errors by name. */
interface ErrorsByName {
  HttpProblem: HttpProblem;
  ConfigError: ConfigError;
  BitstreamEnded: BitstreamEnded;
  FrameDropped: FrameDropped;
  NotAcceptingError: NotAcceptingError;
  NegotiationError: NegotiationError;
  IcePreconditionError: IcePreconditionError;
  SessionClosedError: SessionClosedError;
  NoCandidateError: NoCandidateError;
  InstanceUnreachableError: InstanceUnreachableError;
  ClusterUnavailableError: ClusterUnavailableError;
  OfferShapeError: OfferShapeError;
  IceFragmentError: IceFragmentError;
  FingerprintChangedError: FingerprintChangedError;
}

export type ErrorName = keyof ErrorsByName;

/** Whether `error` is the named one, raised on this thread or on another (see the module's comment). */
export function isError<N extends ErrorName>(error: unknown, name: N): error is ErrorsByName[N] {
  return error instanceof Error && error.name === name;
}

/** An error that crossed a thread as its message and name: recognised by isError like the original. */
export function crossedError(message: string, name: string | undefined): Error {
  const error = new Error(message);
  if (name) error.name = name;
  return error;
}
