import type { ReasonCode } from '../../shared/reasons';
import type { Endpoint, OrganAlias } from './endpoint';
import { canonicalOrganCode } from './organ-code';

export interface RoutedRecipient {
  outcome: 'routed';
  addressedTo: string;
  organId: string;
  transport: Endpoint['transport'];
  viaAlias: boolean;
}

export interface RefusedRecipient {
  outcome: 'refused';
  addressedTo: string;
  reason: Extract<ReasonCode, 'UNKNOWN_RECIPIENT' | 'RECIPIENT_LOCKED'>;
}

export type RecipientResolution = RoutedRecipient | RefusedRecipient;

export interface DirectoryView {
  endpoint(organId: string): Endpoint | undefined;
  alias(closedCode: string): OrganAlias | undefined;
}

const MAX_ALIAS_HOPS = 8;

/**
 * Decides, for each organ a package is addressed to, where its copy goes.
 * - A code in either official form is looked up in QCVN 102 form.
 * - An endpoint that exists and is not closed receives its own mail, even if an alias exists:
 *   an operator closes an endpoint explicitly before its successor takes over.
 * - A closed or unknown code follows the alias chain to its successor (2025 province mergers).
 * - The same organ addressed twice (directly and through an alias) gets one copy.
 */
export function resolveRecipients(
  addressed: readonly string[],
  directory: DirectoryView,
): RecipientResolution[] {
  const results: RecipientResolution[] = [];
  const routedTo = new Set<string>();
  for (const raw of addressed) {
    const resolution = resolveOne(raw, directory);
    if (resolution.outcome === 'routed') {
      if (routedTo.has(resolution.organId)) continue;
      routedTo.add(resolution.organId);
    }
    results.push(resolution);
  }
  return results;
}

function resolveOne(raw: string, directory: DirectoryView): RecipientResolution {
  const addressedTo = raw.trim();
  let code = canonicalOrganCode(addressedTo);
  if (!code) return { outcome: 'refused', addressedTo, reason: 'UNKNOWN_RECIPIENT' };
  let viaAlias = false;
  for (let hop = 0; hop <= MAX_ALIAS_HOPS; hop++) {
    const endpoint = directory.endpoint(code);
    if (endpoint && endpoint.status !== 'closed') {
      if (endpoint.status === 'locked')
        return { outcome: 'refused', addressedTo, reason: 'RECIPIENT_LOCKED' };
      return {
        outcome: 'routed',
        addressedTo,
        organId: endpoint.organId,
        transport: endpoint.transport,
        viaAlias,
      };
    }
    const alias = directory.alias(code);
    if (!alias) break;
    code = alias.successorCode;
    viaAlias = true;
  }
  return { outcome: 'refused', addressedTo, reason: 'UNKNOWN_RECIPIENT' };
}
