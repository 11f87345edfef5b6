import amqplib from 'amqplib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEAD_LETTER_EXCHANGE, inboxQueue } from '../../src/adapters/amqp/amqp-names';
import { RabbitManagementClient } from '../../src/adapters/rabbitmq-admin/management-client';
import { BrokerCluster } from '../../src/bench/broker-cluster';
import { documentPackage } from '../support/packages';
import { sleep, waitFor } from '../support/infrastructure';
import { TestBus, type Inbox } from '../support/test-bus';

const G22 = '000.00.00.G22'; // Văn phòng Chính phủ
const H41 = '000.00.00.H41'; // Nghệ An
const H49 = '000.00.00.H49'; // Quảng Ninh

/**
 * The bus and its endpoints on a three-node RabbitMQ cluster (scripts/cluster/rabbitmq-cluster.sh,
 * Debian's rabbitmq-server, ports 5711-5713 so the chaos suite's 5701-5703 stay free): queues with
 * three members and leaders spread over the nodes, and documents that keep flowing when the node
 * everyone is connected to stops.
 */
describe('a bus on a three-node RabbitMQ cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edoc-cluster-test-'));
  let cluster: BrokerCluster;
  let bus: TestBus;
  let g22: Inbox, h41: Inbox, h49: Inbox;

  beforeAll(async () => {
    cluster = await BrokerCluster.start(resolve(__dirname, '../..'), dir, 5711);
    bus = await TestBus.start(
      {},
      {
        broker: {
          amqpUrl: cluster.amqpUrls().join(','),
          managementUrl: cluster.managementUrls().join(','),
          tls: null,
        },
      },
    );
    await bus.seed();
    [g22, h41, h49] = (await Promise.all([G22, H41, H49].map((o) => bus.inbox(o)))) as [Inbox, Inbox, Inbox];
  }, 240_000);

  afterAll(async () => {
    await bus?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  async function carried(from: Inbox, to: Inbox[]): Promise<string> {
    const { xml } = documentPackage(
      from.client.organId,
      to.map((i) => i.client.organId),
    );
    const { messageId } = await from.client.send(xml);
    const receipt = await from.receiptFor(messageId, 60_000);
    expect(receipt.outcome).toBe('accepted');
    const busId = receipt.busId!;
    for (const inbox of to) {
      await waitFor(
        () => inbox.documents.find((d) => d.busId === busId),
        `copy in ${inbox.client.organId}`,
        60_000,
      );
    }
    return busId;
  }

  it('declares every quorum queue with three members and spreads their leaders over the nodes', async () => {
    await carried(g22, [h41, h49]);
    const { byNode, members } = await cluster.leaders(bus.vhost);
    // ingress, urgent ingress, dead letters, and two lanes for each of the inboxes declared so far
    expect(members.length).toBeGreaterThanOrEqual(9);
    expect(members.every((m) => m === 3)).toBe(true);
    expect(byNode.size).toBeGreaterThanOrEqual(2);
  });

  it('takes over an inbox declared before the group size was configured, without touching it', async () => {
    const H56 = '000.00.00.H56'; // Thanh Hóa
    const connection = await amqplib.connect(cluster.amqpUrls(bus.vhost)[1]!);
    try {
      const channel = await connection.createChannel();
      for (const lane of ['normal', 'urgent'] as const) {
        await channel.assertQueue(inboxQueue(H56, lane), {
          durable: true,
          arguments: {
            'x-queue-type': 'quorum',
            'x-delivery-limit': bus.config.inboxDeliveryLimit,
            'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
            'x-dead-letter-strategy': 'at-least-once',
            'x-overflow': 'reject-publish',
          },
        });
      }
    } finally {
      await connection.close();
    }
    const h56 = await bus.inbox(H56);
    await carried(g22, [h56]);
  });

  it('keeps carrying documents while the node the bus and its endpoints first connected to is down', async () => {
    // Every connection starts on node 1, the first of the list. (Its restart under load and the
    // leaders' rebalance are the chaos suite's `node` scenario.)
    await cluster.stopNode(1);
    const during = await carried(g22, [h41, h49]);
    const back = await carried(h41, [g22]);
    expect(during).not.toBe(back);
    await sleep(300);
    for (const inbox of [g22, h41, h49]) {
      const ids = inbox.documents.map((d) => d.busId);
      expect(new Set(ids).size).toBe(ids.length);
    }
    // Every queue kept its three members and has a leader on a node that runs.
    const queues = await new RabbitManagementClient(cluster.managementUrls().join(',')).quorumQueues(
      bus.vhost,
    );
    expect(
      queues.every((q) => q.members.length === 3 && q.leader !== null && q.leader !== cluster.nodeName(1)),
    ).toBe(true);
    // Back for the teardown: a vhost whose queues have a member down is not deleted in time.
    await cluster.startNode(1);
  }, 180_000);
});
