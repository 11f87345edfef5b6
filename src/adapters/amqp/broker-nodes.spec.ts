import { BrokerNodes, brokerUrlList } from './broker-nodes';

describe('the nodes of a broker cluster', () => {
  const nodes = () =>
    new BrokerNodes([
      'amqp://bus:p%40ss@10.0.0.1:5672/edoc?heartbeat=30',
      'amqp://bus:p%40ss@10.0.0.2/edoc',
      'amqp://bus:p%40ss@10.0.0.3:5673/edoc',
    ]);

  it('gives amqplib the fields of the node in turn, moving on round robin', () => {
    const list = nodes();
    const target = list.target();
    expect([target.protocol, target.hostname, target.port, target.vhost, target.heartbeat]).toEqual([
      'amqp',
      '10.0.0.1',
      5672,
      'edoc',
      30,
    ]);
    expect([target.username, target.password]).toEqual(['bus', 'p@ss']);
    list.moveOn();
    expect([target.hostname, target.port, target.heartbeat]).toEqual(['10.0.0.2', undefined, 15]);
    list.moveOn();
    list.moveOn();
    expect(target.hostname).toBe('10.0.0.1');
  });

  it('logs in as guest, as amqplib does, when a URL names no user', () => {
    const target = new BrokerNodes(['amqp://localhost']).target();
    expect([target.username, target.password, target.vhost]).toEqual([undefined, undefined, '']);
  });

  it('keeps the vhost escaped for amqplib to unescape once', () => {
    expect(new BrokerNodes(['amqp://h/a%2Fb']).target().vhost).toBe('a%2Fb');
  });

  it('refuses nodes of one cluster that differ in scheme or vhost', () => {
    expect(() => new BrokerNodes(['amqp://a/x', 'amqps://b/x'])).toThrow(/scheme and vhost/);
    expect(() => new BrokerNodes(['amqp://a/x', 'amqp://b/y'])).toThrow(/scheme and vhost/);
    expect(() => new BrokerNodes([])).toThrow(/no broker URL/);
  });

  it('reads a comma-separated setting', () => {
    expect(brokerUrlList(' amqp://a , amqp://b,,')).toEqual(['amqp://a', 'amqp://b']);
  });
});
