// grantline: issue, list and revoke grants on Alter managed secrets.
export { App, Agent, isValidKey } from './client';
export {
  userPrincipal,
  groupPrincipal,
  systemPrincipal,
  agentPrincipal,
} from './principals';
export * from './errors';
export type * from './types';
export { native as _native } from './native';
export { ProviderResponse } from './convert';
