import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DevelopmentKit } from '../../src/adapters/cli/development-kit';
import { SEED_ENDPOINTS_2019 } from '../../src/modules/registry/seed/endpoints-2019';
import { PkiResponder } from './pki-responder';
import { signedPdf } from './test-pdf-signer';
import { privateKeyPem, TestPki } from './test-pki';

/** The test PKI as the CLI's `pki` and `demo` commands use it (loaded from the tools build). */
export const developmentKit: DevelopmentKit = {
  async initPki(dir, baseUrl, extraOrgans, serverNames) {
    const pki = await TestPki.create(baseUrl);
    await pki.issueServer(serverNames);
    const organs = [
      ...SEED_ENDPOINTS_2019.map((e) => [e.organId, e.name] as const),
      ...extraOrgans.map((o) => [o, o] as const),
    ];
    for (let i = 0; i < organs.length; i += 16) {
      await Promise.all(organs.slice(i, i + 16).map(([organId, name]) => pki.issueEndpoint(organId, name)));
    }
    await pki.issueBadCases();
    return (await pki.write(dir)).length;
  },

  async ensureServerCertificate(dir, names) {
    if (existsSync(join(dir, 'server.crt')) || !existsSync(join(dir, 'pki.json'))) return false;
    const pki = await TestPki.read(dir);
    await pki.issueServer(names);
    writeFileSync(join(dir, 'server.crt'), pki.serverChainPem());
    writeFileSync(join(dir, 'server.key'), await privateKeyPem(pki.server!.keys.privateKey), { mode: 0o600 });
    return true;
  },

  async servePki(dir, port, validitySeconds = 3600) {
    const responder = new PkiResponder(await TestPki.read(dir), validitySeconds);
    await responder.listen(port);
    return responder;
  },

  signedPdfs(dir) {
    let pki: Promise<TestPki | null> | null = null;
    const made = new Map<string, Promise<Buffer | null>>();
    return (organId) => {
      let pdf = made.get(organId);
      if (!pdf) {
        pki ??= existsSync(join(dir, 'pki.json')) ? TestPki.read(dir) : Promise.resolve(null);
        pdf = pki.then((p) => {
          const signer = p?.endpoints.get(organId);
          return signer ? signedPdf(signer, `Công văn của ${organId}`) : null;
        });
        made.set(organId, pdf);
      }
      return pdf;
    };
  },
};
