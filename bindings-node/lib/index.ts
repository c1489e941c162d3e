// grantline: issue, list and revoke grants on Alter managed secrets.
export { App, Agent, isValidKey, _panicForTests } from './client';
export {
  userPrincipal,
  groupPrincipal,
  systemPrincipal,
  agentPrincipal,
} from './principals';
export * from './errors';
export type * from './types';
/** @internal The addon itself, for grantline's own tests. */
export { native as _native } from './native';
export { ProviderResponse } from './response';
