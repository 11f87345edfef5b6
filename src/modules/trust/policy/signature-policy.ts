import { refusal, type Refusal } from '../../shared/reasons';

/**
 * How strictly an endpoint's packages are checked, set per endpoint by operators:
 * - `strict` (default): a valid signature with allowed algorithms is required;
 * - `legacy-sha1`: also RSA-SHA1/SHA-1 and the misspelt exclusive-C14N URI of the official SDK
 *   samples, flagged on every receipt;
 * - `transition-unsigned`: also packages without a signature, from an endpoint that has not yet
 *   integrated the specialized signature — flagged on every receipt.
 * A signature that is present and fails is refused under every policy.
 */
export const SIGNATURE_POLICIES = ['strict', 'legacy-sha1', 'transition-unsigned'] as const;
export type SignaturePolicy = (typeof SIGNATURE_POLICIES)[number];

export function isSignaturePolicy(value: string): value is SignaturePolicy {
  return (SIGNATURE_POLICIES as readonly string[]).includes(value);
}

export type PolicyDecision = { ok: true; flags: string[] } | { ok: false; refusal: Refusal };

/**
 * A package without a signature. Statuses are decided like documents: a status moves a copy along
 * its lifecycle and is relayed to the other party as that organ's word (a forged 02 or 13 would
 * refuse or recall an official document), so under `strict` it must be signed by its sender's
 * certificate too. Endpoints whose systems send statuses unsigned, as the public samples are, run
 * under `transition-unsigned` until they sign them.
 */
export function decideUnsigned(
  policy: SignaturePolicy,
  kind: 'edoc' | 'status',
  note?: string,
): PolicyDecision {
  if (policy === 'transition-unsigned') {
    const what = kind === 'status' ? 'unsigned status' : 'unsigned package';
    return {
      ok: true,
      flags: [`${what} accepted under the transition policy${note ? ` (${note})` : ''}`],
    };
  }
  return { ok: false, refusal: refusal('SIG_MISSING', ...(note ? [note] : [])) };
}

export function decideLegacy(policy: SignaturePolicy, legacy: string[]): PolicyDecision {
  if (legacy.length === 0) return { ok: true, flags: [] };
  if (policy === 'strict')
    return {
      ok: false,
      refusal: refusal('ALG_FORBIDDEN', ...legacy, 'allowed only under the legacy-sha1 policy'),
    };
  return { ok: true, flags: legacy.map((l) => `legacy algorithm accepted under the ${policy} policy: ${l}`) };
}
