import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BridgeRefusals, ReplayGuard } from '../../modules/bridge/bridge-calls.port';
import { BridgeSettings } from '../../modules/bridge/bridge-settings';
import { PullInboxRepository } from '../../modules/bridge/pull-inbox-repository.port';
import { AuthenticateAxisCall } from '../../modules/bridge/use-cases/authenticate-axis-call.use-case';
import { AuthenticateBearer } from '../../modules/bridge/use-cases/authenticate-bearer.use-case';
import { AuthenticatePassword } from '../../modules/bridge/use-cases/authenticate-password.use-case';
import { CheckBridgeCredentials } from '../../modules/bridge/use-cases/check-bridge-credentials.use-case';
import { VerifyClientCertificate } from '../../modules/bridge/use-cases/verify-client-certificate.use-case';
import { CountPullItems } from '../../modules/bridge/use-cases/count-pull-items.use-case';
import { RecordUnreadableCall } from '../../modules/bridge/use-cases/record-unreadable-call.use-case';
import { FetchPullItem } from '../../modules/bridge/use-cases/fetch-pull-item.use-case';
import { ListPullItems } from '../../modules/bridge/use-cases/list-pull-items.use-case';
import { ListSentDocuments } from '../../modules/bridge/use-cases/list-sent-documents.use-case';
import { SettlePullItem } from '../../modules/bridge/use-cases/settle-pull-item.use-case';
import { SubmitFromBridge } from '../../modules/bridge/use-cases/submit-from-bridge.use-case';
import type { BusConfig } from '../config/bus-config';
import { PgReplayGuard } from '../postgres/pg-replay-guard.repository';
import { PgBridgeRefusals } from '../postgres/pg-bridge-refusals.repository';
import { PgPullInbox } from '../postgres/pg-pull-inbox.repository';
import { UploadSpool } from '../spool/upload-spool';

export const BRIDGE_USE_CASES = [
  AuthenticateAxisCall,
  AuthenticateBearer,
  AuthenticatePassword,
  CheckBridgeCredentials,
  VerifyClientCertificate,
  RecordUnreadableCall,
  SubmitFromBridge,
  ListPullItems,
  CountPullItems,
  FetchPullItem,
  SettlePullItem,
  ListSentDocuments,
];

export function bridgeProviders(config: BusConfig): Provider[] {
  return [
    // Opened when a bridge is first built: folders left by dead bus processes are removed then.
    { provide: UploadSpool, useFactory: () => UploadSpool.open(config.bridge.spoolDirectory) },
    {
      provide: BridgeSettings,
      useValue: new BridgeSettings(
        config.bridge.clockSkewSeconds,
        config.bridge.timestampZoneMinutes,
        config.bridge.listingLeaseSeconds,
        config.inboxDeliveryLimit,
      ),
    },
    { provide: ReplayGuard, useFactory: (db: DataSource) => new PgReplayGuard(db), inject: [DataSource] },
    {
      provide: BridgeRefusals,
      useFactory: (db: DataSource) => new PgBridgeRefusals(db),
      inject: [DataSource],
    },
    { provide: PgPullInbox, useFactory: (db: DataSource) => new PgPullInbox(db), inject: [DataSource] },
    { provide: PullInboxRepository, useExisting: PgPullInbox },
    ...BRIDGE_USE_CASES,
  ];
}
