import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BridgeCredentials } from '../../modules/registry/bridge-credentials.port';
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
import type { DeadLetter } from '../../modules/dead-letters/dead-letter';
import { DeadLetterRepublisher } from '../../modules/dead-letters/dead-letter-repository.port';
import type { BusConfig } from '../config/bus-config';
import { PgBridgeCredentials } from '../postgres/pg-bridge-credentials.repository';
import { PgReplayGuard } from '../postgres/pg-replay-guard.repository';
import { PgBridgeRefusals } from '../postgres/pg-bridge-refusals.repository';
import { PgPullInbox } from '../postgres/pg-pull-inbox.repository';
import { SecretBox } from '../postgres/secret-box';
import { UploadSpool } from '../spool/upload-spool';
import { AmqpRuntime } from './amqp-runtime';

/** Dead letters go back where they died: a broker queue, or a polling endpoint's pull inbox. */
class RoutingRepublisher extends DeadLetterRepublisher {
  constructor(
    private readonly amqp: DeadLetterRepublisher,
    private readonly pull: PgPullInbox,
  ) {
    super();
  }

  republish(letter: DeadLetter): Promise<void> {
    return letter.channel === 'pull' ? this.pull.restore(letter) : this.amqp.republish(letter);
  }
}

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
  let box: SecretBox | null = null;
  // Opened on first use: an admin command that never touches a bridge secret needs no key file.
  const secretBox = () => (box ??= SecretBox.fromKeyFile(config.bridge.secretsKeyFile));
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
    {
      provide: BridgeCredentials,
      useFactory: (db: DataSource) => new PgBridgeCredentials(db, secretBox),
      inject: [DataSource],
    },
    { provide: ReplayGuard, useFactory: (db: DataSource) => new PgReplayGuard(db), inject: [DataSource] },
    {
      provide: BridgeRefusals,
      useFactory: (db: DataSource) => new PgBridgeRefusals(db),
      inject: [DataSource],
    },
    { provide: PgPullInbox, useFactory: (db: DataSource) => new PgPullInbox(db), inject: [DataSource] },
    { provide: PullInboxRepository, useExisting: PgPullInbox },
    {
      provide: DeadLetterRepublisher,
      useFactory: (amqp: AmqpRuntime, pull: PgPullInbox) => new RoutingRepublisher(amqp.republisher, pull),
      inject: [AmqpRuntime, PgPullInbox],
    },
    ...BRIDGE_USE_CASES,
  ];
}
