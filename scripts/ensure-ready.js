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

/** The test PKI generator is a development tool outside src/ (tools/pki): built on demand. */
function ensureTools() {
  const kit = path.join(root, 'dist-tools', 'tools', 'pki', 'development-kit.js');
  const newest = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'tools')));
  if (fs.existsSync(kit) && fs.statSync(kit).mtimeMs >= newest) return;
  log('building the development tools (tsc -p tsconfig.tools.json)…');
  execSync('npx tsc -p tsconfig.tools.json', { cwd: root, stdio: 'inherit' });
}

/** A bus that checks signatures needs trust anchors: generate the test PKI on first run in development. */
function ensureTestPki() {
  if (process.env.TRUST_ANCHORS) return;
  if (fs.existsSync(path.join(root, 'certs', 'generated', 'pki.json'))) {
    if (!fs.existsSync(path.join(root, 'certs', 'generated', 'server.crt'))) ensureTools();
    if (!fs.existsSync(path.join(root, 'certs', 'generated', 'server.crt')))
      execSync(`"${process.execPath}" dist/adapters/cli/main.js pki server-cert`, {
        cwd: root,
        stdio: 'inherit',
      });
    return;
  }
  ensureTools();
  log('generating the test PKI (certs/generated)…');
  execSync(`"${process.execPath}" dist/adapters/cli/main.js pki init`, { cwd: root, stdio: 'inherit' });
}

/**
 * Programs the tests call as independent checks (libxml2's and xmlsec's own command-line tools)
 * and the browser the console tests drive. A stock Debian machine has none of them: install them
 * when this process may (root with apt-get), otherwise stop before any test runs and say how.
 */
const TEST_TOOLS = [
  { command: 'xmllint', package: 'libxml2-utils', why: 'validates what the bus writes against its schemas' },
  { command: 'xmlsec1', package: 'xmlsec1', why: 'signs and verifies packages independently of the bus' },
  { command: 'chromium', package: 'chromium', why: 'drives the console in the browser tests' },
  {
    command: 'promtool',
    package: 'prometheus',
    why: 'checks and unit-tests the alerting rules in ops/prometheus',
  },
  {
    command: 'pgbackrest',
    package: 'pgbackrest',
    why: 'backs up and restores PostgreSQL in the restore drill',
  },
];

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function ensureTestTools() {
  const missing = TEST_TOOLS.filter((t) => !onPath(t.command));
  if (missing.length === 0) return;
  const packages = missing.map((t) => t.package);
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (canInstall) {
    log(`installing the Debian packages the tests use: ${packages.join(' ')}…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // A stale package index is the usual reason an install fails on a fresh machine.
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: 300000 });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', ...packages], {
      stdio: 'inherit',
      env,
      timeout: 900000,
    });
    const still = missing.filter((t) => !onPath(t.command));
    if (r.status === 0 && still.length === 0) return;
    missing.splice(0, missing.length, ...still);
  }
  console.error(
    [
      '',
      'The tests need these programs, which are not installed:',
      ...missing.map((t) => `  ${t.command} (Debian package ${t.package}): ${t.why}`),
      `Install them with:  sudo apt-get install ${missing.map((t) => t.package).join(' ')}`,
      '',
    ].join('\n'),
  );
  process.exit(1);
}

async function main() {
  ensureDependencies();
  if (forTests) ensureTestTools();
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
  // Before asking it anything: a broker out of descriptors can hang in its boot, not answering.
  await ensureBrokerDescriptors(amqpUrl, mgmtUrl, localBrokerLimit());
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
  await ensureBrokerDescriptors(amqpUrl, mgmtUrl, await brokerDescriptorLimit(mgmtUrl));
  if (!forTests) await ensureBrokerTls(amqpUrl, mgmtUrl);
  if (!forTests) ensurePostgresTls(pgUrl);
}

/**
 * The local PostgreSQL serves TLS with the test PKI's server certificate, so the demo, the bench
 * and the chaos suite connect with sslmode=verify-full against certs/generated/trust-anchors.pem.
 * The certificate is copied where a restart finds it; switching it on is a reload, not a restart.
 */
function ensurePostgresTls(pgUrl) {
  const certificate = path.join(root, 'certs', 'generated', 'server.crt');
  const key = path.join(root, 'certs', 'generated', 'server.key');
  const { host } = hostPort(pgUrl, 5432);
  if (!fs.existsSync(certificate) || !(host === '127.0.0.1' || host === 'localhost')) return;
  if (process.getuid?.() !== 0 || !onPath('psql')) return;
  const admin = new URL(pgUrl);
  admin.pathname = '/postgres';
  admin.search = '';
  const psql = (sql) =>
    spawnSync('psql', [admin.toString(), '-Atqc', sql], {
      encoding: 'utf8',
      timeout: 30000,
    }).stdout?.trim() ?? '';
  const dir = '/var/lib/postgresql/edoc-tls';
  const served = path.join(dir, 'server.crt');
  const current =
    psql('SHOW ssl') === 'on' &&
    psql('SHOW ssl_cert_file') === served &&
    fs.existsSync(served) &&
    fs.readFileSync(served).equals(fs.readFileSync(certificate));
  if (current) return;
  log('serving TLS from the local PostgreSQL with the test PKI’s certificate (reload)…');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.copyFileSync(certificate, served);
  fs.copyFileSync(key, path.join(dir, 'server.key'));
  fs.chmodSync(path.join(dir, 'server.key'), 0o600);
  spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  psql(`ALTER SYSTEM SET ssl_cert_file = '${served}'`);
  psql(`ALTER SYSTEM SET ssl_key_file = '${path.join(dir, 'server.key')}'`);
  psql('ALTER SYSTEM SET ssl = on');
  psql('SELECT pg_reload_conf()');
}

/**
 * The demo, the bench and the chaos suite reach the local broker over AMQPS too, with the test
 * PKI's certificates (the tests run a TLS node of their own). A local broker this process may
 * manage is restarted through scripts/start-rabbitmq.sh, which configures the listener, when it has
 * none yet or serves another certificate than certs/generated/server.crt.
 */
async function ensureBrokerTls(amqpUrl, mgmtUrl) {
  const certificate = path.join(root, 'certs', 'generated', 'server.crt');
  if (process.env.AMQP_TLS_LISTENER === 'off' || !fs.existsSync(certificate)) return;
  const { host, port } = hostPort(amqpUrl, 5672);
  if (!(host === '127.0.0.1' || host === 'localhost') || process.getuid?.() !== 0) return;
  if (!onPath('rabbitmqctl')) return;
  const served = '/var/lib/rabbitmq/edoc-tls/server.crt';
  const current = fs.existsSync(served) && fs.readFileSync(served).equals(fs.readFileSync(certificate));
  if (current && (await reachable(host, 5671))) return;
  log('configuring the local broker for AMQPS (port 5671, client certificates) and restarting it…');
  await restartLocalBroker(host, [port, 5671], mgmtUrl);
}

/**
 * Stops the local broker and starts it again through scripts/start-rabbitmq.sh (descriptor limit,
 * AMQPS listener), then waits until each of `ports` and the management API answer.
 */
async function restartLocalBroker(host, ports, mgmtUrl) {
  await stopLocalBroker(host, ports[0]);
  const mgmt = hostPort(mgmtUrl, 15672);
  if (!tryRun('sh scripts/start-rabbitmq.sh')) {
    console.error('\nRabbitMQ did not start again: sh scripts/start-rabbitmq.sh\n');
    process.exit(1);
  }
  for (const port of ports) {
    if (!(await waitFor(host, port, 120))) {
      console.error(`\nRabbitMQ did not come back on port ${port}: sh scripts/start-rabbitmq.sh\n`);
      process.exit(1);
    }
  }
  tryRun('rabbitmqctl await_startup');
  if (!(await waitFor(mgmt.host, mgmt.port, 60))) {
    console.error(
      '\nThe RabbitMQ management API did not come back: rabbitmq-plugins enable rabbitmq_management\n',
    );
    process.exit(1);
  }
}

/**
 * Every quorum queue holds ~3 descriptors open, so the 190 inboxes of the 95 endpoints need ~600,
 * and each test file's bus declares its own; a broker started with Debian's soft limit of 1024
 * then lets a few dozen connections in and hangs the rest in the handshake without a word. A local
 * broker this process may manage (root, rabbitmqctl) is restarted with a fitting limit, as
 * .ci/run does; any other is reported, and the tests do not start against it.
 */
async function ensureBrokerDescriptors(amqpUrl, mgmtUrl, known) {
  const limit = known?.limit ?? known;
  if (typeof limit !== 'number' || limit >= MIN_BROKER_DESCRIPTORS) return;
  const { host, port } = hostPort(amqpUrl, 5672);
  const local = host === '127.0.0.1' || host === 'localhost';
  if (known?.pid && !local) return; // the process found here is not the broker the URL names
  const manageable = local && process.getuid?.() === 0 && onPath('rabbitmqctl');
  const advice = `RabbitMQ at ${host}:${port} may open only ${limit} files; the bus and its tests need at least ${MIN_BROKER_DESCRIPTORS}.`;
  if (!manageable || process.env.EDOC_MANAGE_LOCAL_BROKER === '0') {
    const message = `${advice}\nRestart it with a larger limit:  rabbitmqctl stop && sh scripts/start-rabbitmq.sh   (or raise nofile for its service)`;
    if (forTests) {
      console.error(`\n${message}\n`);
      process.exit(1);
    }
    log(message);
    return;
  }
  log(`${advice} Restarting the local broker with a larger limit…`);
  await restartLocalBroker(host, [port], mgmtUrl);
  const after = await brokerDescriptorLimit(mgmtUrl);
  log(`RabbitMQ restarted; it may now open ${after ?? 'an unknown number of'} files`);
}

/**
 * The machine's own broker process (Debian runs it as the rabbitmq user; the nodes tests start
 * run as this user) and its soft descriptor limit, from /proc: known even while it hangs in boot.
 */
function localBrokerLimit() {
  if (!fs.existsSync('/proc')) return null;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'beam.smp') continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('rabbit\0boot') || fs.statSync(`/proc/${entry}`).uid === process.getuid?.())
        continue;
      const m = /Max open files\s+(\d+)/.exec(fs.readFileSync(`/proc/${entry}/limits`, 'utf8'));
      if (m) return { pid: Number(entry), limit: Number(m[1]) };
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return null;
}

/** Stops the local broker, however it is doing: politely first, then by signal. */
async function stopLocalBroker(host, port) {
  spawnSync('sh', ['-c', 'rabbitmqctl stop'], { cwd: root, stdio: 'ignore', timeout: 30000 });
  const running = localBrokerLimit();
  if (running) {
    try {
      process.kill(running.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    for (let i = 0; i < 30 && localBrokerLimit(); i++) await new Promise((r) => setTimeout(r, 500));
    const still = localBrokerLimit();
    if (still) process.kill(still.pid, 'SIGKILL');
  }
  for (let i = 0; i < 60 && (await reachable(host, port, 500)); i++)
    await new Promise((r) => setTimeout(r, 500));
}

async function brokerDescriptorLimit(mgmtUrl) {
  const u = new URL(mgmtUrl);
  const auth = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString(
    'base64',
  );
  // The management API can answer before the node lists itself: ask a few times.
  for (let i = 0; i < 10; i++) {
    try {
      const res = await fetch(`${u.protocol}//${u.host}/api/nodes`, {
        headers: { authorization: `Basic ${auth}` },
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok) {
        const limits = (await res.json()).map((n) => n.fd_total).filter((n) => typeof n === 'number');
        if (limits.length > 0) return Math.min(...limits);
      }
    } catch {
      // Not up yet, or not readable: ask again.
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return null;
}

const MIN_BROKER_DESCRIPTORS = 4096;

function dockerAnswers() {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
