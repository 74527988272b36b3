/**
 * GET /sessions?limit=&cursor= read from the network (fast-check): whatever the query, the page
 * is within 1..1000 entries or the request is a 400 problem, and a cursor the server wrote reads
 * back as the same position.
 */
import fc from 'fast-check';
import { listingPage } from '../../src/http/clusterRoutes';
import { decodeCursor, encodeCursor, MAX_LISTING_LIMIT } from '../../src/protocol/sessionListing';
import { HttpProblem } from '../../src/errors';

const queryValue = fc.oneof(fc.string(), fc.stringMatching(/^\d{1,12}$/), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined));

describe('listing parameters', () => {
  it('a page within 1..MAX_LISTING_LIMIT, or a 400 problem, for any query', () => {
    fc.assert(
      fc.property(queryValue, queryValue, (limit, cursor) => {
        try {
          const page = listingPage({ limit, cursor } as never);
          expect(page.limit).toBeGreaterThanOrEqual(1);
          expect(page.limit).toBeLessThanOrEqual(MAX_LISTING_LIMIT);
        } catch (error) {
          expect(error).toBeInstanceOf(HttpProblem);
          expect((error as HttpProblem).status).toBe(400);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a cursor the server wrote decodes to the entry it was written for', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), fc.uuid(), (started_at, session_id) => {
        expect(decodeCursor(encodeCursor({ started_at, session_id }))).toEqual({ startedAt: started_at, sessionId: session_id });
      }),
      { numRuns: 300 },
    );
  });
});
