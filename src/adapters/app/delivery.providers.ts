import type { Provider } from '@nestjs/common';
import { createPrivateKey } from 'node:crypto';
import { DeliveryRepository } from '../../modules/delivery/delivery-repository.port';
import { LifecycleSettings } from '../../modules/delivery/lifecycle-settings';
import { OutboxDispatcher } from '../../modules/delivery/outbox-dispatcher.port';
import { ReceiptIssuer } from '../../modules/delivery/receipt-issuer';
import { DeliveryChannels } from '../../modules/delivery/delivery-channels';
import { ReceiptSigner } from '../../modules/delivery/receipt-signer.port';
import { FlagOverdueCopies } from '../../modules/delivery/use-cases/flag-overdue-copies.use-case';
import { GetDocumentTrace } from '../../modules/delivery/use-cases/get-document-trace.use-case';
import { derFromPem } from '../../modules/trust/pki/certificate-facts';
import { CanonicalSigner } from '../../modules/trust/xmldsig/canonical-signer';
import type { BusConfig } from '../config/bus-config';
import { BusMetrics } from '../http/metrics';
import { PgDeliveryRepository } from '../postgres/pg-delivery.repository';
import { OUTBOX_LEASE_SECONDS } from '../postgres/tokens';
import { AmqpRuntime } from './amqp-runtime';
import type { BusModuleOptions } from './bus.module';
import { DeadlineSweeper } from './deadline-sweeper';
import { KillAfterCommitDispatcher } from './fault-injection';

/**
 * modules/delivery: a copy's life after the commit — the outbox (published by the AMQP runtime's
 * relay), signed receipts, deadlines swept by a serving bus, traces.
 */
export function deliveryProviders(config: BusConfig, options: BusModuleOptions): Provider[] {
  return [
    { provide: OUTBOX_LEASE_SECONDS, useValue: config.outboxLeaseSeconds },
    { provide: DeliveryRepository, useClass: PgDeliveryRepository },
    {
      provide: LifecycleSettings,
      useValue: {
        arrivalSeconds: config.deadlines.arrivalSeconds,
        decisionSeconds: config.deadlines.decisionSeconds,
      },
    },
    { provide: ReceiptSigner, useFactory: () => receiptSigner(config) },
    {
      provide: OutboxDispatcher,
      useFactory: (amqp: AmqpRuntime) =>
        config.faultInjection === 'kill-after-commit'
          ? new KillAfterCommitDispatcher(amqp.relay)
          : amqp.relay,
      inject: [AmqpRuntime],
    },
    {
      provide: DeadlineSweeper,
      useFactory: (flag: FlagOverdueCopies, metrics: BusMetrics) =>
        options.ingress ? new DeadlineSweeper(flag, metrics, config.deadlines.sweepIntervalMs) : null,
      inject: [FlagOverdueCopies, BusMetrics],
    },
    ReceiptIssuer,
    DeliveryChannels,
    GetDocumentTrace,
    FlagOverdueCopies,
  ];
}

/** The bus signs its receipts with its own key; an admin context that issues none may run without one. */
function receiptSigner(config: BusConfig): ReceiptSigner {
  if (!config.busSigning) {
    return {
      sign: () => {
        throw new Error('no bus signing key configured (BUS_SIGNING_KEY, BUS_SIGNING_CERT)');
      },
    };
  }
  return new CanonicalSigner({
    privateKey: createPrivateKey(config.busSigning.keyPem),
    certificates: derFromPem(config.busSigning.certPem),
  });
}
