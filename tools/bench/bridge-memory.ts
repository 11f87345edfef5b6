import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as soap from 'soap';
import { EdocBusClient } from '../../src/adapters/amqp/sdk';
import { busLogger, openBusContext } from '../../src/adapters/app/bootstrap';
import { endpointAmqpUrl } from '../../src/adapters/cli/credentials';
import { sampleDocument } from '../../src/adapters/cli/sample-documents';
import { formatTable } from '../../src/adapters/cli/table';
import { loadConfig } from '../../src/adapters/config/bus-config';
import { PkiResponder } from '../pki/pki-responder';
import { privateKeyPem, TestPki } from '../pki/test-pki';
import { AxisClient } from '../../src/adapters/http/axis/client/axis-client';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import type { IssuedBridgeCredentials } from '../../src/modules/registry/bridge-credentials.port';
import {
  ChangeEndpointTransport,
  ChangeEndpointTransportCommand,
} from '../../src/modules/registry/use-cases/change-endpoint-transport.use-case';
import { ProvisionEndpoints } from '../../src/modules/registry/use-cases/provision-endpoints.use-case';
import { SeedEndpoints } from '../../src/modules/registry/use-cases/seed-endpoints.use-case';
import { envOf, freshEnvironment, waitForReady } from './environment';
import { PROJECT_ROOT } from './project-root';

/**
 * `npm run bench:bridges`: the bus process's memory while a ~48 MB signed package (the size cap
 * is 50 MB) goes in and out through each bridge. RSS of the bus process is sampled every 10 ms
 * from /proc during each operation; the table gives the resident size before and the peak during
 * (medians of `--rounds`, default 3, after a first large package that grows the process once).
 */
const root = PROJECT_ROOT;
const outDir = join(root, 'bench-output');
const MB = 1024 * 1024;
const G22 = '000.00.00.G22';
/** Each bridge's send and fetch are measured this many times (`--rounds N`); the table gives medians. */
const ROUNDS = Number(/--rounds[= ](\d+)/.exec(process.argv.join(' '))?.[1] ?? 3);
/** The attachment (`--attachment-mb N`, default 36: a 46 MB package, near the 50 MB cap). */
const ATTACHMENT_BYTES =
  Number(/--attachment-mb[= ](\d+)/.exec(process.argv.join(' '))?.[1] ?? 36) * 1_000_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const BRIDGES = { axis: '000.00.00.H41', rest: '000.00.00.H20', soap: '000.00.00.H56' } as const;
/** A province on a bridge that only receives (never fetched from here). */
const SINK = '000.00.00.H29';

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function measured<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ before: number; peak: number; ms: number; value: T }> {
  global.gc?.();
  await new Promise((r) => setTimeout(r, 1500)); // let the bus settle after the previous step
  const before = rssOf(pid);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 10);
  const started = performance.now();
  try {
    const value = await work();
    return { before, peak: Math.max(peak, rssOf(pid)), ms: performance.now() - started, value };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const config = await freshEnvironment(loadConfig(), 'bridges', 18081);
  const keyFile = join(outDir, 'bridge-secrets.key');
  const responder = new PkiResponder(null);
  const pki = await TestPki.create(`http://127.0.0.1:${await responder.listen(0)}`);
  responder.attach(pki);
  const pkiDir = join(outDir, 'pki-bridges');
  await pki.write(pkiDir);
  const signingOf = async (organId: string) => {
    const issued = await pki.issueEndpoint(organId);
    return {
      keyPem: await privateKeyPem(issued.keys.privateKey),
      certificatePem: issued.certificate.toString('pem'),
    };
  };

  const adminConfig = {
    ...config,
    logLevel: 'error' as const,
    bridge: { ...config.bridge, secretsKeyFile: keyFile },
  };
  const admin = await openBusContext(adminConfig, busLogger(adminConfig, false));
  await admin.get(SeedEndpoints).execute();
  for (const organId of [...Object.values(BRIDGES), SINK])
    await admin.get(ChangeEndpointTransport).execute(
      ChangeEndpointTransportCommand.create({
        code: organId,
        transport: 'bridge',
        reason: 'bench',
        actor: 'bench',
      }),
    );
  const issued = await admin
    .get(ProvisionEndpoints)
    .execute({ codes: [G22, ...Object.values(BRIDGES)], actor: 'bench' });
  await admin.close();
  const amqp = issued.find((c) => c.transport === 'amqp')!;
  const bridge = (organId: string) =>
    issued.find(
      (c): c is { transport: 'bridge' } & IssuedBridgeCredentials =>
        c.transport === 'bridge' && c.organId === organId,
    )!;

  const bus = spawn(process.execPath, ['--expose-gc', join(root, 'dist/adapters/cli/main.js'), 'serve'], {
    env: {
      ...process.env,
      ...envOf(config),
      LOG_LEVEL: 'warn',
      BRIDGE_SECRETS_KEY_FILE: keyFile,
      TRUST_ANCHORS: join(pkiDir, 'trust-anchors.pem'),
      TRUST_INTERMEDIATES: join(pkiDir, 'intermediates.pem'),
      BUS_SIGNING_KEY: join(pkiDir, 'bus.key'),
      BUS_SIGNING_CERT: join(pkiDir, 'bus.crt'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${config.port}`;
  const rows: string[][] = [];
  let tabulate = () => undefined as void;
  const fetchedBefore = new Set<string>();
  let g22: EdocBusClient | null = null;
  try {
    await waitForReady(config.port);
    const pid = bus.pid!;
    g22 = await EdocBusClient.connect({
      url: endpointAmqpUrl(config.amqpUrl, amqp),
      organId: amqp.organId,
      signing: await signingOf(G22),
    });
    const received = new Map<string, number>();
    g22.onDocument((d) => void received.set(d.busId, d.body.length));
    await g22.start();
    const bigPackage = async (from: string, to: string, n: number) => {
      const doc = sampleDocument({
        from: { organId: from, name: from },
        to: [{ organId: to, name: to }],
        number: n,
        attachmentBytes: ATTACHMENT_BYTES,
      });
      return { ...doc, xml: await SigningPool.instance.sign(doc.xml, await signingOf(from)) };
    };
    const mb = (b: number) => (b / MB).toFixed(0);
    const measurements = new Map<
      string,
      { size: number; runs: Array<{ before: number; peak: number; ms: number }> }
    >();
    const record = (
      bridgeName: string,
      op: string,
      size: number,
      m: { before: number; peak: number; ms: number },
    ) => {
      const key = `${bridgeName}\t${op}`;
      const entry = measurements.get(key) ?? { size, runs: [] };
      entry.runs.push(m);
      measurements.set(key, entry);
    };
    tabulate = () => {
      for (const [key, { size, runs }] of measurements) {
        const [bridgeName, op] = key.split('\t') as [string, string];
        const grown = runs.map((r) => r.peak - r.before);
        rows.push([
          bridgeName,
          op,
          mb(size),
          String(runs.length),
          mb(median(runs.map((r) => r.before))),
          mb(median(runs.map((r) => r.peak))),
          `${mb(median(grown))} (${mb(Math.min(...grown))}–${mb(Math.max(...grown))})`,
          (median(runs.map((r) => r.ms)) / 1000).toFixed(1),
        ]);
      }
    };

    // The first large packages of a process grow its heaps and allocator arenas once, whichever
    // bridge brings them; measured apart so that the rows below compare the bridges themselves.
    const restSend = async (xml: string) =>
      String(
        (
          await fetch(`${base}/api/v1/documents`, {
            method: 'POST',
            body: xml,
            headers: { authorization: `Bearer ${bridge(BRIDGES.rest).token}` },
          })
        ).status,
      );
    const untilArrived = async (before: number) => {
      const deadline = Date.now() + 120_000;
      while (received.size === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (received.size === before) throw new Error(`a copy never reached ${G22}`);
    };
    for (const [op, to] of [
      ['first send → province', SINK],
      ['first send → ministry', G22],
    ] as const) {
      const warmUp = await bigPackage(BRIDGES.rest, to, (Date.now() % 1e9) + 2);
      const arrivedBefore = received.size;
      const first = await measured(pid, async () => {
        const status = await restSend(warmUp.xml);
        if (to === G22) await untilArrived(arrivedBefore);
        return status;
      });
      if (first.value !== '202') throw new Error(`${op} failed: ${first.value}`);
      record('rest', op, Buffer.byteLength(warmUp.xml), first);
    }

    for (let round = 0; round < ROUNDS; round++)
      for (const [name, organId] of Object.entries(BRIDGES)) {
        const creds = bridge(organId);
        const sendVia = async (xml: string): Promise<string> => {
          if (name === 'axis')
            return (await new AxisClient(base, creds.systemId, creds.secret).sendEdoc(xml)).status;
          if (name === 'rest')
            return String(
              (
                await fetch(`${base}/api/v1/documents`, {
                  method: 'POST',
                  body: xml,
                  headers: { authorization: `Bearer ${creds.token}` },
                })
              ).status,
            );
          const r = await soapCall(base, organId, creds.secret, 'SendEdoc', {
            MessageType: 'edoc',
            Package: Buffer.from(xml).toString('base64'),
          });
          return String(r?.['Outcome']);
        };
        const accepted = (value: string) => {
          if (!['OK', '202', 'accepted'].includes(value)) throw new Error(`${name} send failed: ${value}`);
        };
        // To a province on a bridge: the copy is a pull-inbox row, the package is never held whole.
        const toProvince = await bigPackage(organId, SINK, Date.now() % 1e9);
        const sentToProvince = await measured(pid, () => sendVia(toProvince.xml));
        accepted(sentToProvince.value);
        record(name, 'send → province', Buffer.byteLength(toProvince.xml), sentToProvince);
        // To a ministry on AMQP, until the copy has arrived: amqplib publishes one whole buffer.
        const up = await bigPackage(organId, G22, (Date.now() % 1e9) + 3);
        const arrivedBefore = received.size;
        const sent = await measured(pid, async () => {
          const value = await sendVia(up.xml);
          await untilArrived(arrivedBefore);
          return value;
        });
        accepted(sent.value);
        record(name, 'send → ministry', Buffer.byteLength(up.xml), sent);

        const down = await bigPackage(G22, organId, (Date.now() % 1e9) + 1);
        await g22.send(down.xml);
        const docId = await waitForItem(base, name, organId, creds, fetchedBefore);
        fetchedBefore.add(docId);
        const fetched = await measured(pid, async () => fetchItem(base, name, organId, creds, docId));
        if (fetched.value !== Buffer.byteLength(down.xml))
          throw new Error(`${name} fetch returned ${fetched.value} bytes`);
        record(name, 'fetch', fetched.value, fetched);
      }
  } finally {
    await g22?.close();
    bus.kill('SIGTERM');
    await SigningPool.instance.close();
    await responder.close();
  }
  tabulate();
  console.log(
    '\nBus process memory while a large package crosses each bridge (MB; RSS sampled every 10 ms)\n',
  );
  console.log(
    formatTable(
      [
        'bridge',
        'operation',
        'package',
        'runs',
        'rss before',
        'rss peak',
        'peak − before (range)',
        'seconds',
      ],
      rows,
    ),
  );
}

/** A node-soap client of the bus's WSDL, signed in as the endpoint; `call` runs one operation. */
async function soapCall(
  base: string,
  organId: string,
  secret: string,
  operation: string,
  args: object,
): Promise<Record<string, unknown> | null> {
  const c = await soap.createClientAsync(`${base}/soap/edoc?wsdl`, { endpoint: `${base}/soap/edoc` });
  c.setSecurity(new soap.WSSecurity(organId, secret, { passwordType: 'PasswordText', hasTimeStamp: false }));
  const method = (c as unknown as Record<string, (a: object) => Promise<[Record<string, unknown> | null]>>)[
    `${operation}Async`
  ]!;
  return (await method.call(c, args))[0];
}

async function waitForItem(
  base: string,
  name: string,
  organId: string,
  creds: IssuedBridgeCredentials,
  fetchedBefore: Set<string>,
): Promise<string> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const fresh = (await listIds(base, name, organId, creds)).find((id) => !fetchedBefore.has(id));
    if (fresh) return fresh;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`nothing reached ${organId}`);
}

async function listIds(
  base: string,
  name: string,
  organId: string,
  creds: IssuedBridgeCredentials,
): Promise<string[]> {
  if (name === 'axis') {
    const r = await new AxisClient(base, creds.systemId, creds.secret).call<Array<{ docId: string }>>(
      'getReceivedEdocList',
      { messagetype: 'edoc', pollerid: 'bench' },
    );
    return (r.data ?? []).map((i) => i.docId);
  }
  if (name === 'rest') {
    const r = await fetch(`${base}/api/v1/inbox?types=edoc&poller=bench`, {
      headers: { authorization: `Bearer ${creds.token}` },
    });
    return ((await r.json()) as { items: Array<{ docId: string }> }).items.map((i) => i.docId);
  }
  const r = await soapCall(base, organId, creds.secret, 'GetReceivedEdocList', {
    MessageType: 'edoc',
    PollerId: 'bench',
  });
  return ((r?.['Item'] ?? []) as Array<{ DocId: string }>).map((i) => i.DocId);
}

async function fetchItem(
  base: string,
  name: string,
  organId: string,
  creds: IssuedBridgeCredentials,
  docId: string,
): Promise<number> {
  if (name === 'axis') {
    const r = await new AxisClient(base, creds.systemId, creds.secret).call<string>('getEdoc', {
      docid: docId,
    });
    return Buffer.from(r.data, 'base64').length;
  }
  if (name === 'rest') {
    const r = await fetch(`${base}/api/v1/inbox/${docId}`, {
      headers: { authorization: `Bearer ${creds.token}` },
    });
    return (await r.arrayBuffer()).byteLength;
  }
  const r = await soapCall(base, organId, creds.secret, 'GetEdoc', { DocId: docId });
  return Buffer.from((r?.['Package'] as string | undefined) ?? '', 'base64').length;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
