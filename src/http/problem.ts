import type { Response } from 'express';
import { HttpProblem } from '../errors';

/** Relative type URIs (RFC 9457 allows them), one per kind of problem. */
const TYPE_BASE = '/problems/';

export function sendProblem(res: Response, problem: HttpProblem): void {
  res
    .status(problem.status)
    .set(problem.headers)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: TYPE_BASE + problem.title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
      }),
    );
}
