import {
  amqpNodesOf,
  ConfigError,
  databaseNodesOf,
  databaseUrlSetting,
  databaseUrlsOf,
  loadConfig,
} from './bus-config';

describe('the nodes of a cluster in the configuration', () => {
  it('reads AMQP_URL as the nodes of one RabbitMQ cluster, the first one first', () => {
    const config = loadConfig({
      AMQP_URL: 'amqp://bus:s@10.0.0.1:5672/edoc, amqp://bus:s@10.0.0.2:5672/edoc,amqp://bus:s@10.0.0.3/edoc',
    });
    expect(config.amqpUrl).toBe('amqp://bus:s@10.0.0.1:5672/edoc');
    expect(amqpNodesOf(config)).toHaveLength(3);
    expect(loadConfig({}).amqpFailoverUrls).toEqual([]);
  });

  it('refuses nodes that are not one bus user on one vhost', () => {
    expect(() => loadConfig({ AMQP_URL: 'amqp://bus:s@a/edoc,amqp://other:s@b/edoc' })).toThrow(ConfigError);
    expect(() => loadConfig({ AMQP_URL: 'amqp://bus:s@a/edoc,amqps://bus:s@b/edoc' })).toThrow(ConfigError);
    expect(() => loadConfig({ AMQP_URL: 'amqp://a,http://b' })).toThrow(/comma-separated/);
  });

  it("reads DATABASE_URL in libpq's multi-host form as one URL per host", () => {
    const setting = 'postgres://bus:pw@db1:5432,db2:5433/edoc?sslmode=require';
    expect(databaseUrlsOf(setting)).toEqual([
      'postgres://bus:pw@db1:5432/edoc?sslmode=require',
      'postgres://bus:pw@db2:5433/edoc?sslmode=require',
    ]);
    expect(databaseUrlSetting(databaseUrlsOf(setting))).toBe(setting);
    const config = loadConfig({ DATABASE_URL: setting });
    expect(databaseNodesOf(config)).toEqual(databaseUrlsOf(setting));
    expect(databaseUrlsOf('postgres://postgres@127.0.0.1:5432/edoc')).toEqual([
      'postgres://postgres@127.0.0.1:5432/edoc',
    ]);
  });
});
