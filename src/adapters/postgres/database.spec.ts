import type { DataSource } from 'typeorm';
import { statisticsWarning } from './database';

const serverWith = (settings: { autovacuum: string; track_counts: string }) =>
  ({ query: () => Promise.resolve([settings]) }) as unknown as DataSource;

describe('statisticsWarning', () => {
  it('says nothing when autovacuum and the statistics counters run', async () => {
    expect(await statisticsWarning(serverWith({ autovacuum: 'on', track_counts: 'on' }))).toBeNull();
  });

  it('tells the operator what autovacuum=off does to this schema and how to fix it', async () => {
    const warning = await statisticsWarning(serverWith({ autovacuum: 'off', track_counts: 'on' }));
    expect(warning).toContain('autovacuum=off');
    expect(warning).toContain('never analysed');
    expect(warning).toContain('postgresql.conf');
    expect(await statisticsWarning(serverWith({ autovacuum: 'on', track_counts: 'off' }))).toContain(
      'track_counts=off',
    );
  });
});
