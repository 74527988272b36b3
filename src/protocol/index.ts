/** The wire contract (shared/API.md and the README's additions), typed once. */
export type * from './summary';
export type * from './session';
export type * from './events';
export type * from './webhook';
export type * from './cluster';
