#!/usr/bin/env node
'use strict';
/**
 * Makes a fresh clone runnable before `npm start`, `npm run demo`, `npm test` and `npm run bench`:
 * installs dependencies if missing or stale, builds if the sources are newer than dist/, and
 * checks that PostgreSQL and RabbitMQ (with its management API) answer — starting them when this
 * machine has them installed but stopped, and otherwise saying exactly how to start them.
 * Uses only Node built-ins so it runs before `npm ci`.
 */
const { execSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const forTests = process.argv.includes('--test');

function log(message) {
  console.error(`[ensure-ready] ${message}`);
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function ensureDependencies() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  log('installing dependencies…');
  try {
    execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
  } catch {
    // npm 11 can call its own lockfile out of sync over other platforms' optional binaries
    // (npm/cli#4828); `npm install` installs the same tree.
    execSync('npm install --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
  }
}

function ensureBuild() {
  const built = path.join(root, 'dist', 'adapters', 'cli', 'main.js');
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestMtime(path.join(root, 'src'))) return;
  log('building (tsc)…');
  execSync('npx tsc -p tsconfig.build.json', { cwd: root, stdio: 'inherit' });
}

function reachable(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function hostPort(url, defaultPort) {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || defaultPort) };
}

function tryRun(command) {
  const r = spawnSync('sh', ['-c', command], { cwd: root, stdio: 'ignore', timeout: 120000 });
  return r.status === 0;
}

async function waitFor(host, port, seconds) {
  for (let i = 0; i < seconds * 2; i++) {
    if (await reachable(host, port)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function ensureService(name, url, defaultPort, startCommand, howTo) {
  const { host, port } = hostPort(url, defaultPort);
  if (await reachable(host, port)) return;
  const local = host === '127.0.0.1' || host === 'localhost';
  if (local && startCommand && tryRun(startCommand) && (await waitFor(host, port, 60))) {
    log(`started ${name}`);
    return;
  }
  console.error(`\n${name} is not reachable at ${host}:${port}.\nStart it with: ${howTo}\n`);
  process.exit(1);
}

/** A bus that checks signatures needs trust anchors: generate the test PKI on first run in development. */
function ensureTestPki() {
  if (process.env.TRUST_ANCHORS) return;
  if (fs.existsSync(path.join(root, 'certs', 'generated', 'pki.json'))) return;
  log('generating the test PKI (certs/generated)…');
  execSync(`"${process.execPath}" dist/adapters/cli/main.js pki init`, { cwd: root, stdio: 'inherit' });
}

async function main() {
  ensureDependencies();
  if (!forTests) {
    ensureBuild();
    ensureTestPki();
  }
  const env = process.env;
  const pgUrl = forTests
    ? env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
    : env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/edoc';
  const amqpUrl = forTests
    ? env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672'
    : env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
  const mgmtUrl = forTests
    ? env.TEST_RABBITMQ_MANAGEMENT_URL || 'http://guest:guest@127.0.0.1:15672'
    : env.RABBITMQ_MANAGEMENT_URL || 'http://guest:guest@127.0.0.1:15672';
  if (forTests && dockerAnswers()) return; // the tests start their own containers
  await ensureService(
    'PostgreSQL',
    pgUrl,
    5432,
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -1) main start',
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (or: docker compose -f docker/compose.yml up -d)',
  );
  await ensureService(
    'RabbitMQ',
    amqpUrl,
    5672,
    'sh scripts/start-rabbitmq.sh',
    'sh scripts/start-rabbitmq.sh   (or: docker compose -f docker/compose.yml up -d)',
  );
  await ensureService(
    'the RabbitMQ management API',
    mgmtUrl,
    15672,
    'rabbitmq-plugins enable rabbitmq_management',
    'rabbitmq-plugins enable rabbitmq_management',
  );
  await warnOnSmallBrokerDescriptorLimit(mgmtUrl);
}

/**
 * Every quorum queue holds ~3 descriptors open, so the 190 inboxes of the 95 endpoints need ~600;
 * a broker started with Debian's soft limit of 1024 then lets a few dozen connections in and hangs
 * the rest in the handshake without a word. Say so up front instead.
 */
async function warnOnSmallBrokerDescriptorLimit(mgmtUrl) {
  const u = new URL(mgmtUrl);
  const auth = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString(
    'base64',
  );
  try {
    const res = await fetch(`${u.protocol}//${u.host}/api/nodes`, {
      headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) return;
    for (const node of await res.json()) {
      if (typeof node.fd_total === 'number' && node.fd_total < MIN_BROKER_DESCRIPTORS) {
        log(
          `RabbitMQ node ${node.name} may open only ${node.fd_total} files; the bus needs at least ${MIN_BROKER_DESCRIPTORS}. ` +
            'Restart it with: rabbitmqctl stop && sh scripts/start-rabbitmq.sh',
        );
      }
    }
  } catch {
    // An unreadable node list is not a reason to stop: the services answered.
  }
}

const MIN_BROKER_DESCRIPTORS = 4096;

function dockerAnswers() {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
