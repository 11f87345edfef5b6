import type { Provider } from '@nestjs/common';
import { AssessSignature, TrustSettings } from '../../modules/trust/assess-signature.use-case';
import { ChainValidator } from '../../modules/trust/pki/chain-validator';
import { TrustStore } from '../../modules/trust/pki/trust-store';
import { RevocationChecker } from '../../modules/trust/revocation/revocation-checker';
import {
  RevocationFetcher,
  RevocationSettings,
  RevocationStore,
} from '../../modules/trust/revocation/revocation-sources.port';
import type { BusConfig } from '../config/bus-config';
import { HttpRevocationFetcher } from '../pki/http-revocation-fetcher';
import { PgRevocationStore } from '../postgres/pg-revocation.repository';

/** modules/trust on the main thread: revocation (fetched over HTTP, kept in PostgreSQL) and the trust decision. */
export function trustProviders(config: BusConfig): Provider[] {
  return [
    {
      provide: RevocationFetcher,
      useFactory: () => new HttpRevocationFetcher(config.revocation.timeoutMs),
    },
    { provide: RevocationStore, useClass: PgRevocationStore },
    {
      provide: RevocationSettings,
      useValue: {
        graceSeconds: config.revocation.graceSeconds,
        retryAfterSeconds: config.revocation.retryAfterSeconds,
      },
    },
    RevocationChecker,
    AssessSignature,
    // Client certificates of bridge callers are judged on the main thread, as signatures' chains are in workers.
    { provide: ChainValidator, useFactory: () => new ChainValidator(new TrustStore(config.trust)) },
    { provide: TrustSettings, useValue: { pdfSignaturePolicy: config.pdfSignaturePolicy } },
  ];
}
