import { NEST_MODULE_LAYERS } from './bus.module';

/** The layers dependency-cruiser enforces on the code, read back from its configuration. */
function codeLayers(): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the configuration is CommonJS
  const config = require('../../../.dependency-cruiser.js') as {
    forbidden: Array<{ name: string; to: { path?: string } }>;
  };
  const bottom = config.forbidden.find((r) => r.name === 'module-shared-imports-only-lower-layers');
  const above = /\(([^)]+)\)/.exec(bottom?.to.path ?? '')?.[1];
  if (!above) throw new Error('no layer rule for the shared module in .dependency-cruiser.js');
  return ['shared', ...above.split('|')];
}

describe('the Nest modules of the domain modules', () => {
  it('import each other in the order of the code layers, so a provider gets only what its module may use', () => {
    const layers = codeLayers();
    const positions = NEST_MODULE_LAYERS.map((name) => layers.indexOf(name));
    expect(positions).not.toContain(-1);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
