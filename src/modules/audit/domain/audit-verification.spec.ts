import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { canonicalJson, checkpointMessage, GENESIS_HASH, seal, type AuditEvent } from './audit-chain';
import { verifyAuditExport, type AuditExportManifest, type SignedCheckpoint } from './audit-verification';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function event(i: number): AuditEvent {
  return {
    at: new Date(Date.UTC(2026, 10, 22, 10, 0, i)),
    kind: i % 2 ? 'delivery.queued' : 'receipt.accepted',
    parties: ['000.00.00.G22', `000.00.00.H${10 + i}`],
    packageId: null,
    actor: 'bus',
    detail: { n: i, nested: { b: 2, a: [1, 'x'] } },
  };
}

function exportOf(n: number) {
  const entries = seal(
    { seq: 0, hash: GENESIS_HASH },
    Array.from({ length: n }, (_, i) => event(i)),
  );
  const last = entries[entries.length - 1]!;
  const at = new Date('2026-11-22T11:00:00Z');
  const checkpoint: SignedCheckpoint = {
    seq: last.seq,
    hash: last.hash,
    at,
    algorithm: 'ECDSA-SHA256',
    signature: sign('sha256', checkpointMessage({ seq: last.seq, hash: last.hash, at }), privateKey).toString(
      'base64',
    ),
    certificate: 'test',
  };
  const manifest: AuditExportManifest = {
    format: 'edoc-bus-audit-export/1',
    createdAt: at.toISOString(),
    filter: { from: '', to: '', endpoint: null, document: null },
    startHash: GENESIS_HASH,
    firstSeq: 1,
    lastSeq: last.seq,
    counts: { entries: n, links: n, checkpoints: 1 },
  };
  const links = entries.map((e) => ({ seq: e.seq, entryDigest: e.entryDigest, hash: e.hash }));
  return { manifest, entries, links, checkpoints: [checkpoint] };
}

const valid = (c: SignedCheckpoint) =>
  verify('sha256', checkpointMessage(c), publicKey, Buffer.from(c.signature, 'base64'));

describe('the audit hash chain', () => {
  it('writes canonical JSON: keys sorted at every level, whatever their order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"y":0,"z":1}]},"b":1}',
    );
  });

  it('verifies an intact export', () => {
    const x = exportOf(5);
    expect(verifyAuditExport(x.manifest, x.entries, x.links, x.checkpoints, valid)).toMatchObject({
      ok: true,
      entriesChecked: 5,
      linksChecked: 5,
      checkpointsChecked: 1,
    });
  });

  it('names an altered entry', () => {
    const x = exportOf(5);
    x.entries[2] = { ...x.entries[2]!, detail: { n: 99 } };
    expect(verifyAuditExport(x.manifest, x.entries, x.links, x.checkpoints, valid).problems).toEqual([
      'entry 3 was altered: its content does not match the chain',
    ]);
  });

  it('names an altered link, a missing one and a reordered one', () => {
    const altered = exportOf(5);
    altered.links[1] = { ...altered.links[1]!, entryDigest: altered.links[0]!.entryDigest };
    expect(
      verifyAuditExport(altered.manifest, altered.entries, altered.links, altered.checkpoints, valid)
        .problems[0],
    ).toBe('chain record 2 was altered: its hash does not follow from the one before');
    const missing = exportOf(5);
    missing.links.splice(2, 1);
    expect(
      verifyAuditExport(missing.manifest, missing.entries, missing.links, missing.checkpoints, valid)
        .problems,
    ).toContain('chain record 3 is missing (the next is 4)');
    const reordered = exportOf(5);
    [reordered.links[1], reordered.links[2]] = [reordered.links[2]!, reordered.links[1]!];
    expect(
      verifyAuditExport(reordered.manifest, reordered.entries, reordered.links, reordered.checkpoints, valid)
        .problems,
    ).toContain('chain record 2 is out of order (found 3 in its place)');
  });

  it('refuses a forged checkpoint and an export no checkpoint covers', () => {
    const forged = exportOf(3);
    forged.checkpoints[0] = { ...forged.checkpoints[0]!, signature: Buffer.from('nope').toString('base64') };
    expect(
      verifyAuditExport(forged.manifest, forged.entries, forged.links, forged.checkpoints, valid).problems,
    ).toContain('checkpoint 3 has an invalid signature');
    const unsigned = exportOf(3);
    expect(
      verifyAuditExport(unsigned.manifest, unsigned.entries, unsigned.links, [], valid).problems,
    ).toContain('no valid signed checkpoint covers the exported chain segment');
  });

  it('notices an entry removed from the export even when the chain is intact', () => {
    const x = exportOf(4);
    x.entries.splice(1, 1);
    expect(verifyAuditExport(x.manifest, x.entries, x.links, x.checkpoints, valid).problems).toEqual([
      'the export has 3 entries, the manifest says 4',
    ]);
  });
});
