import { Injectable } from '@nestjs/common';
import { Directory } from '../../registry/directory';
import { canonicalOrganCode } from '../../registry/domain/organ-code';
import { Clock } from '../../shared/clock';
import { axisHmacMatches, parseAxisTimestamp, signedParameters } from '../domain/axis-signature';
import type { BridgeRefusal, BridgeRefusalCode } from '../domain/bridge-refusal';
import { BridgeCredentials } from '../../registry/bridge-credentials.port';
import { BridgeRefusals, ReplayGuard } from '../bridge-calls.port';
import { BridgeSettings } from '../bridge-settings';
import { CheckBridgeCredentials } from './check-bridge-credentials.use-case';

export interface AuthenticateAxisCallCommand {
  transport: string;
  operation: string;
  /** `XroadVnpt-sign-header`: the JSON of the signed parameters, exactly as received. */
  signedHeaderJson: string | undefined;
  /** `XroadVnpt-hash-header`: HMAC-SHA256 hex of that JSON. */
  hash: string | undefined;
  /**
   * The parameters as the call also sends them in plain `XroadVnpt-<name>` headers (name without
   * the prefix, lower case; the signature's own headers left out). The SDK sends each parameter
   * both ways; one that is not exactly as signed is someone else's edit.
   */
  plainParameters: Record<string, string>;
  /** The certificate chain shown in the TLS handshake (DER base64, the caller's own first). */
  clientCertificates: string[];
  remote: string | null;
}

export type AxisCallIdentity =
  { ok: true; organId: string; parameters: Record<string, string> } | ({ ok: false } & BridgeRefusal);

/**
 * Authenticates a call made the axis SDK's way: a known bridge endpoint's secret signs the
 * parameters, the timestamp is within the allowed skew, and the signature was never seen before.
 * The parameters a use case may read are the signed ones, nothing else. Refusals are recorded.
 */
@Injectable()
export class AuthenticateAxisCall {
  private forgottenAt = 0;

  constructor(
    private readonly credentials: BridgeCredentials,
    private readonly replays: ReplayGuard,
    private readonly refusals: BridgeRefusals,
    private readonly directory: Directory,
    private readonly settings: BridgeSettings,
    private readonly callers: CheckBridgeCredentials,
    private readonly clock: Clock,
  ) {}

  async execute(command: AuthenticateAxisCallCommand): Promise<AxisCallIdentity> {
    const now = this.clock.now();
    const refuse = async (code: BridgeRefusalCode, reason: string, claimed: string | null) => {
      await this.refusals.record({
        at: now,
        transport: command.transport,
        operation: command.operation,
        claimed,
        code,
        reason,
        remote: command.remote,
      });
      return { ok: false as const, code, reason };
    };

    const json = command.signedHeaderJson;
    const parameters = json === undefined ? null : signedParameters(json);
    if (!json || !parameters)
      return refuse('BAD_CREDENTIALS', "the XroadVnpt-sign-header (the call's parameters) is required", null);
    const systemId = parameters['systemid'];
    if (!systemId) return refuse('BAD_CREDENTIALS', 'the signed headers carry no systemid', null);
    const organId = canonicalOrganCode(systemId) ?? systemId;
    const endpoint = await this.directory.endpoint(organId);
    const secret = endpoint?.transport === 'bridge' ? await this.credentials.secretOf(organId) : null;
    const hmacVerified = !!secret && !!command.hash && axisHmacMatches(secret, json, command.hash);
    const caller = await this.callers.execute({
      claimedOrgan: organId,
      secretVerified: hmacVerified,
      clientCertificates: command.clientCertificates,
    });
    if (!caller.ok) return refuse('BAD_CREDENTIALS', caller.reason, systemId);

    const unsigned = contradictedParameter(parameters, command.plainParameters);
    if (unsigned)
      return refuse(
        'BAD_CREDENTIALS',
        `the XroadVnpt-${unsigned} header is not the signed value of ${unsigned}`,
        organId,
      );

    // The timestamp and once-only rules protect the HMAC; a call carried by the organ's certificate
    // alone is protected by its TLS session instead.
    if (!hmacVerified) return { ok: true, organId, parameters };
    const hash = command.hash!;
    const at = parseAxisTimestamp(parameters['timestamp'] ?? '', this.settings.timestampZoneOffsetMinutes);
    const skewMs = this.settings.clockSkewSeconds * 1000;
    if (!at || Math.abs(at.getTime() - now.getTime()) > skewMs)
      return refuse(
        'STALE_TIMESTAMP',
        `the signed timestamp must be within ${this.settings.clockSkewSeconds} s of the bus clock (ddMMyyyy'T'HHmmss+SSSS, Vietnam time)`,
        organId,
      );
    if (!(await this.replays.firstSeen(organId, hash.toLowerCase(), now)))
      return refuse('REPLAYED', 'this signed request was already used', organId);
    await this.forgetOldSignatures(now, skewMs);
    return { ok: true, organId, parameters };
  }

  /** A signature older than twice the skew fails the clock check: no need to remember it. */
  private async forgetOldSignatures(now: Date, skewMs: number): Promise<void> {
    if (now.getTime() - this.forgottenAt < 60_000) return;
    this.forgottenAt = now.getTime();
    await this.replays.forgetBefore(new Date(now.getTime() - 2 * skewMs));
  }
}

/** The first plain parameter header that is missing from, or differs from, the signed parameters. */
function contradictedParameter(signed: Record<string, string>, plain: Record<string, string>): string | null {
  for (const [name, value] of Object.entries(plain)) {
    if (signed[name] !== value) return name;
  }
  return null;
}
