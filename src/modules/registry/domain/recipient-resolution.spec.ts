import type { Endpoint, OrganAlias } from './endpoint';
import { resolveRecipients, type DirectoryView } from './recipient-resolution';

function directory(
  endpoints: Array<Partial<Endpoint> & { organId: string }>,
  aliases: OrganAlias[] = [],
): DirectoryView {
  const e = new Map<string, Endpoint>(
    endpoints.map((x) => [
      x.organId,
      {
        codeQd20: null,
        name: x.organId,
        category: 'province',
        transport: 'amqp',
        status: 'active',
        statusReason: null,
        signaturePolicy: 'strict',
        bridgeAuth: 'hmac',
        ...x,
      },
    ]),
  );
  const a = new Map(aliases.map((x) => [x.closedCode, x]));
  return { endpoint: (id) => e.get(id), alias: (id) => a.get(id) };
}

const alias = (closedCode: string, successorCode: string): OrganAlias => ({
  closedCode,
  successorCode,
  effectiveFrom: null,
  reason: null,
});

describe('recipient resolution', () => {
  it('routes known active endpoints and refuses unknown and locked ones', () => {
    const dir = directory([{ organId: '000.00.00.H41' }, { organId: '000.00.00.H49', status: 'locked' }]);
    expect(resolveRecipients(['000.00.00.H41', '000.00.00.H49', '000.00.00.Z99'], dir)).toEqual([
      {
        outcome: 'routed',
        addressedTo: '000.00.00.H41',
        organId: '000.00.00.H41',
        transport: 'amqp',
        viaAlias: false,
      },
      { outcome: 'refused', addressedTo: '000.00.00.H49', reason: 'RECIPIENT_LOCKED' },
      { outcome: 'refused', addressedTo: '000.00.00.Z99', reason: 'UNKNOWN_RECIPIENT' },
    ]);
  });

  it('accepts the Decision 20/2020 form of a code', () => {
    const [r] = resolveRecipients(['H41'], directory([{ organId: '000.00.00.H41' }]));
    expect(r).toMatchObject({ outcome: 'routed', organId: '000.00.00.H41', addressedTo: 'H41' });
  });

  it('sends mail for a closed province to its successor, through chains of aliases', () => {
    const dir = directory(
      [{ organId: '000.00.00.H05', status: 'closed' }, { organId: '000.00.00.H55' }],
      [alias('000.00.00.H05', '000.00.00.X01'), alias('000.00.00.X01', '000.00.00.H55')],
    );
    expect(resolveRecipients(['000.00.00.H05'], dir)).toEqual([
      {
        outcome: 'routed',
        addressedTo: '000.00.00.H05',
        organId: '000.00.00.H55',
        transport: 'amqp',
        viaAlias: true,
      },
    ]);
  });

  it('keeps delivering to an endpoint that is not closed even when an alias exists (before the merger takes effect)', () => {
    const dir = directory(
      [{ organId: '000.00.00.H05' }, { organId: '000.00.00.H55' }],
      [alias('000.00.00.H05', '000.00.00.H55')],
    );
    expect(resolveRecipients(['000.00.00.H05'], dir)[0]).toMatchObject({
      organId: '000.00.00.H05',
      viaAlias: false,
    });
  });

  it('gives one copy to an organ addressed twice, directly and through an alias', () => {
    const dir = directory([{ organId: '000.00.00.H29' }], [alias('000.00.00.H08', '000.00.00.H29')]);
    const routed = resolveRecipients(['000.00.00.H29', '000.00.00.H08', '000.00.00.H29'], dir);
    expect(routed).toHaveLength(1);
  });

  it('stops on an alias loop instead of spinning', () => {
    const dir = directory(
      [],
      [alias('000.00.00.H01', '000.00.00.H02'), alias('000.00.00.H02', '000.00.00.H01')],
    );
    expect(resolveRecipients(['000.00.00.H01'], dir)).toEqual([
      { outcome: 'refused', addressedTo: '000.00.00.H01', reason: 'UNKNOWN_RECIPIENT' },
    ]);
  });

  it('refuses text that is not an organ code', () => {
    expect(resolveRecipients(['', '<x>'], directory([]))).toEqual([
      { outcome: 'refused', addressedTo: '', reason: 'UNKNOWN_RECIPIENT' },
      { outcome: 'refused', addressedTo: '<x>', reason: 'UNKNOWN_RECIPIENT' },
    ]);
  });
});
