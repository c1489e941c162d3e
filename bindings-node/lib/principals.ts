// Small constructors for principals, for parity with the Python package. A principal is a plain
// object discriminated on `type`; the core validates it when a grant is created.
import type { AgentPrincipal, GroupPrincipal, SystemPrincipal, UserPrincipal } from './types';

/** `{ type: 'user', userToken, label }`. */
export function userPrincipal(userToken: string, label: string): UserPrincipal {
  return { type: 'user', userToken, label };
}

/** `{ type: 'group', externalGroupId, idpId, label }`. */
export function groupPrincipal(externalGroupId: string, idpId: string, label: string): GroupPrincipal {
  return { type: 'group', externalGroupId, idpId, label };
}

/** `{ type: 'system', label }`. */
export function systemPrincipal(label?: string | null): SystemPrincipal {
  return label == null ? { type: 'system' } : { type: 'system', label };
}

/** `{ type: 'agent', label }` — the calling agent itself. */
export function agentPrincipal(label?: string | null): AgentPrincipal {
  return label == null ? { type: 'agent' } : { type: 'agent', label };
}
