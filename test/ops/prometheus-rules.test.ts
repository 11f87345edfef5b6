import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BusMetrics } from '../../src/adapters/http/metrics';

const OPS = join(__dirname, '../../ops');
const RULES = join(OPS, 'prometheus/edoc-bus.rules.yml');

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: join(OPS, 'prometheus'), encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is needed (apt-get install prometheus): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The edoc_* metric names an expression or panel mentions (histogram suffixes folded). */
function metricNames(text: string): string[] {
  return [
    ...new Set([...text.matchAll(/\bedoc_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))),
  ];
}

/**
 * The alerting rules and the dashboard operators run: valid for Prometheus, firing on the series
 * that should raise them (promtool's own unit tests, with the bus's metric names), and naming only
 * metrics the bus exports — a renamed metric would otherwise silence an alert without a word.
 */
describe('the alerting rules and dashboard in ops/', () => {
  const exported = new Set(new BusMetrics().registry.getMetricsAsArray().map((m) => m.name));

  it('are valid rules (promtool check rules)', () => {
    const r = promtool('check', 'rules', RULES);
    expect(r).toMatchObject({ status: 0 });
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('fire on what should raise them, and stay quiet otherwise (promtool test rules)', () => {
    const r = promtool('test', 'rules', 'edoc-bus.rules.test.yml');
    expect({ status: r.status, output: r.output.trim() }).toEqual({
      status: 0,
      output: expect.stringMatching(/SUCCESS$/),
    });
  });

  it('name only metrics the bus exports', () => {
    const rules = metricNames(readFileSync(RULES, 'utf8'));
    const dashboard = metricNames(readFileSync(join(OPS, 'grafana/edoc-bus.dashboard.json'), 'utf8'));
    expect(rules.length).toBeGreaterThan(10);
    expect(dashboard.length).toBeGreaterThan(10);
    expect([...rules, ...dashboard].filter((name) => !exported.has(name))).toEqual([]);
  });
});
