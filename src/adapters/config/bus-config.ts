import 'reflect-metadata'; // class-transformer's decorators below read it
import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_ARRIVAL_SECONDS, DEFAULT_DECISION_SECONDS } from '../../modules/delivery/lifecycle-settings';
import type { TrustMaterial } from '../../modules/trust/pki/trust-store';

/** Five positive integers, one per priority. */
const DEADLINE_LIST = /^\s*[1-9]\d{0,8}\s*(,\s*[1-9]\d{0,8}\s*){4}$/;

/**
 * Every setting of the bus, read from the environment once at start-up and validated here; the rest
 * of the code receives typed values and never reads `process.env`. Defaults point at the local
 * services so a fresh clone runs with no configuration.
 */
export class EnvironmentVariables {
  /**
   * The database; for a primary with standbys, libpq's multi-host form
   * (`postgres://user@host1:5432,host2:5432/edoc`): the bus uses whichever host accepts writes,
   * and follows a promoted standby.
   */
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/edoc';

  /**
   * libpq's name for the roots that verify PostgreSQL's certificate: used for a DATABASE_URL with
   * `sslmode=verify-full` (or `verify-ca`) that names no `sslrootcert` itself.
   */
  @IsString()
  PGSSLROOTCERT = '';

  /**
   * The broker, or the nodes of one RabbitMQ cluster comma-separated (same scheme, user and vhost):
   * the bus connects to the first that answers and moves to another when its node goes away.
   */
  @Matches(/^\s*amqps?:\/\/[^,\s]+(\s*,\s*amqps?:\/\/[^,\s]+)*\s*$/, {
    message: 'AMQP_URL must be an amqp:// or amqps:// URL, or several of them comma-separated',
  })
  AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

  /**
   * Members of each new quorum queue (`x-quorum-initial-group-size`): 3 keeps every queue
   * available with one node of a cluster down; on a single node it is 1 whatever is set. 0 leaves
   * it to RabbitMQ (every node of the cluster at declaration). Queues that exist keep theirs.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(7)
  QUORUM_INITIAL_GROUP_SIZE = 3;

  /**
   * For an `amqps://` AMQP_URL: PEM file of the roots that verify the broker's certificate, and the
   * bus's own client certificate and key when the broker asks for one (its login stays PLAIN, over
   * TLS: the bus's user needs rights no endpoint has).
   */
  @IsString()
  AMQP_TLS_CA = '';

  @IsString()
  AMQP_TLS_CERT = '';

  @IsString()
  AMQP_TLS_KEY = '';

  /** The management API, or the API of each node of a cluster comma-separated (any one answers). */
  @Matches(/^\s*https?:\/\/[^,\s]+(\s*,\s*https?:\/\/[^,\s]+)*\s*$/, {
    message: 'RABBITMQ_MANAGEMENT_URL must be an http(s):// URL, or several of them comma-separated',
  })
  RABBITMQ_MANAGEMENT_URL = 'http://guest:guest@127.0.0.1:15672';

  /**
   * Broker users are named `<prefix><organ code>`. Users are global on a RabbitMQ node, not per
   * vhost: a prefix lets one broker carry several buses (staging beside production, test runs)
   * without one's provisioning rotating another's passwords.
   */
  @Matches(/^[A-Za-z0-9_.-]{0,64}$/, {
    message: 'BROKER_USER_PREFIX may hold only letters, digits, _ . - (at most 64)',
  })
  BROKER_USER_PREFIX = '';

  /**
   * The address clients reach the bus's HTTP port at, when that is not the address they connect
   * to (a TLS-terminating proxy): advertised in the SOAP WSDL. Empty: the address of each request.
   */
  @Matches(/^(https?:\/\/[^\s/?#]+(\/[^\s?#]*)?)?$/, {
    message: 'PUBLIC_BASE_URL must be an http:// or https:// URL with no query',
  })
  PUBLIC_BASE_URL = '';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 8080;

  /** PEM files of the bus's server certificate (leaf first, then its CAs) and key: HTTPS on PORT. */
  @IsString()
  TLS_CERT = '';

  @IsString()
  TLS_KEY = '';

  /**
   * PEM file of the CAs whose names the bus lists when it asks for a client certificate (the
   * organs' issuing CAs): set it for mutual TLS. Whether a client certificate is good enough is
   * decided per endpoint, with the same chain and revocation checks as signatures.
   */
  @IsString()
  TLS_CA = '';

  /**
   * Plaintext HTTP on the same port while TLS is on: `off` (closed), `redirect` (the default: 308
   * to https for the console, a refusal for every other path — bridges must not follow a redirect
   * with a body), `on` (served as well, for a migration).
   */
  @IsIn(['', 'off', 'redirect', 'on'])
  HTTP_PLAINTEXT: '' | 'off' | 'redirect' | 'on' = '';

  /** Session ticket keys are replaced this often (forward secrecy of resumed sessions). */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(86_400)
  TLS_TICKET_ROTATION_SECONDS = 3600;

  /**
   * Addresses (or CIDR ranges), comma-separated, of the reverse proxies whose X-Forwarded-Proto and
   * X-Forwarded-For are believed. Empty: nobody's; the headers are ignored.
   */
  @Matches(/^[0-9A-Fa-f:.,/ ]*$/, {
    message: 'TRUSTED_PROXIES is a comma-separated list of addresses or CIDR ranges',
  })
  TRUSTED_PROXIES = '';

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(512 * 1024 * 1024)
  MAX_PACKAGE_BYTES = 50 * 1024 * 1024;

  @Type(() => Number)
  @IsInt()
  @Min(4)
  @Max(1000)
  XML_MAX_DEPTH = 64;

  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(10_000_000)
  XML_MAX_ELEMENTS = 100_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  XML_MAX_ATTRIBUTES = 64;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  QUARANTINE_MAX_STORED_BYTES = 8 * 1024 * 1024;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  INGRESS_PREFETCH = 32;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  INSPECTION_THREADS = Math.max(1, availableParallelism());

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  OUTBOX_LEASE_SECONDS = 15;

  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(60_000)
  OUTBOX_SWEEP_INTERVAL_MS = 1000;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600_000)
  DIRECTORY_TTL_MS = 2000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  INGRESS_DELIVERY_LIMIT = 10;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  INBOX_DELIVERY_LIMIT = 20;

  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  @IsString()
  INSTANCE_NAME = 'edoc-bus';

  /** The time zone the console shows times in (IANA name): the people at the desks are in Vietnam. */
  @IsString()
  CONSOLE_TIME_ZONE = 'Asia/Ho_Chi_Minh';

  /** PEM file(s), comma-separated: the roots the bus trusts. Default: the test PKI if generated. */
  @IsString()
  TRUST_ANCHORS = '';

  /** PEM file(s), comma-separated: issuing CAs used to complete signers' paths. */
  @IsString()
  TRUST_INTERMEDIATES = '';

  /** The bus's own key and certificate (PEM) for signing receipts. Default: the test PKI's. */
  @IsString()
  BUS_SIGNING_KEY = '';

  @IsString()
  BUS_SIGNING_CERT = '';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(30 * 86400)
  REVOCATION_GRACE_SECONDS = 86400;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3600)
  REVOCATION_RETRY_SECONDS = 5;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  REVOCATION_TIMEOUT_MS = 3000;

  @IsIn(['report', 'refuse-invalid'])
  PDF_SIGNATURE_POLICY: 'report' | 'refuse-invalid' = 'report';

  /** Seconds a recipient has to send 01, per priority 0…4 (Thường … Hỏa tốc hẹn giờ). */
  @Matches(DEADLINE_LIST, {
    message: 'DEADLINE_ARRIVAL_SECONDS must be five comma-separated positive integers',
  })
  DEADLINE_ARRIVAL_SECONDS = DEFAULT_ARRIVAL_SECONDS.join(',');

  /** Seconds a recipient has to accept (03) or reject (02), per priority 0…4. */
  @Matches(DEADLINE_LIST, {
    message: 'DEADLINE_DECISION_SECONDS must be five comma-separated positive integers',
  })
  DEADLINE_DECISION_SECONDS = DEFAULT_DECISION_SECONDS.join(',');

  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  DEADLINE_SWEEP_INTERVAL_MS = 10_000;

  /** Failed publishes to one endpoint in a row before its deliveries pause (circuit breaker). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  BREAKER_FAILURES = 5;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  BREAKER_PAUSE_SECONDS = 30;

  /** AES key (created if missing, mode 0600) that encrypts bridge endpoints' HMAC secrets at rest. */
  @IsString()
  BRIDGE_SECRETS_KEY_FILE = '.edoc-bus/bridge-secrets.key';

  /** Where bridges spool uploads from 4 MiB while they are checked and stored (one folder per process). */
  @IsString()
  BRIDGE_SPOOL_DIR = '.edoc-bus/spool';

  /** How far a bridge request's signed timestamp may be from the bus clock, either way. */
  @Type(() => Number)
  @IsInt()
  @Min(5)
  @Max(3600)
  BRIDGE_CLOCK_SKEW_SECONDS = 300;

  /** The time zone of the axis SDK's timestamps, in minutes east of UTC (Vietnam: 420). */
  @Type(() => Number)
  @IsInt()
  @Min(-720)
  @Max(840)
  BRIDGE_TIMESTAMP_ZONE_MINUTES = 420;

  /** How long a listed item stays reserved for the poller that listed it. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86_400)
  BRIDGE_LISTING_LEASE_SECONDS = 300;

  /** How often recorded events are sealed into the audit hash chain. */
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(60_000)
  AUDIT_SEAL_INTERVAL_MS = 500;

  /** How often the chain head is signed with the bus's key (a checkpoint auditors verify). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(86_400_000)
  AUDIT_CHECKPOINT_INTERVAL_MS = 60_000;

  /** Where `edoc-bus archive run` writes a set per month (storage apart from the database's). */
  @IsString()
  ARCHIVE_DIR = 'archive';

  /** Months kept in the database (this one included) before `archive run` takes them. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1200)
  RETENTION_HOT_MONTHS = 24;

  /** Years a document is kept at all, archive included; `archive purge` deletes older sets. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  RETENTION_TOTAL_YEARS = 10;

  /** Test-only faults (see src/adapters/app/fault-injection.ts). Never in production. */
  @IsIn(['', 'kill-after-commit', 'kill-archive-mid-write', 'kill-archive-before-retire'])
  FAULT_INJECTION: '' | 'kill-after-commit' | 'kill-archive-mid-write' | 'kill-archive-before-retire' = '';
}

export interface BusConfig {
  /** The (first) database host's URL. */
  databaseUrl: string;
  /** The other hosts of DATABASE_URL (standbys), each as a URL of its own. */
  databaseFailoverUrls: string[];
  /** The (first) broker node: its user and vhost are the bus's. */
  amqpUrl: string;
  /** The other nodes of the cluster, tried in turn when the one in use goes away. */
  amqpFailoverUrls: string[];
  quorumInitialGroupSize: number;
  /** TLS material for an amqps:// broker (PEM texts); null: the system's roots, no client certificate. */
  amqpTls: AmqpTls | null;
  /** One management API address, or a cluster's comma-separated. */
  managementUrl: string;
  brokerUserPrefix: string;
  publicBaseUrl: string | null;
  port: number;
  /** HTTPS on the bus's port; null: plain HTTP. */
  tls: TlsSettings | null;
  trustedProxies: string[];
  xmlLimits: { maxBytes: number; maxDepth: number; maxElements: number; maxAttributesPerElement: number };
  quarantineMaxStoredBytes: number;
  ingressPrefetch: number;
  inspectionThreads: number;
  outboxLeaseSeconds: number;
  outboxSweepIntervalMs: number;
  directoryTtlMs: number;
  dbPoolSize: number;
  ingressDeliveryLimit: number;
  inboxDeliveryLimit: number;
  logLevel: EnvironmentVariables['LOG_LEVEL'];
  instanceName: string;
  consoleTimeZone: string;
  trust: TrustMaterial;
  /** Files the trust material came from (for messages). */
  trustSources: string[];
  busSigning: { keyPem: string; certPem: string } | null;
  revocation: { graceSeconds: number; retryAfterSeconds: number; timeoutMs: number };
  pdfSignaturePolicy: EnvironmentVariables['PDF_SIGNATURE_POLICY'];
  deadlines: { arrivalSeconds: number[]; decisionSeconds: number[]; sweepIntervalMs: number };
  breaker: { failures: number; pauseSeconds: number };
  faultInjection: EnvironmentVariables['FAULT_INJECTION'];
  audit: { sealIntervalMs: number; checkpointIntervalMs: number };
  retention: { archiveDir: string; hotMonths: number; totalYears: number };
  bridge: {
    secretsKeyFile: string;
    spoolDirectory: string;
    clockSkewSeconds: number;
    timestampZoneMinutes: number;
    listingLeaseSeconds: number;
  };
}

export interface AmqpTls {
  caPem: string | null;
  certPem: string | null;
  keyPem: string | null;
}

export interface TlsSettings {
  certFile: string;
  keyFile: string;
  caFile: string | null;
  plaintext: 'off' | 'redirect' | 'on';
  ticketRotationSeconds: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment; throws one error listing every problem. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<BusConfig> = {},
): BusConfig {
  const known = Object.keys(new EnvironmentVariables());
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => known.includes(k) && v !== undefined && v !== ''),
  );
  const vars = plainToInstance(EnvironmentVariables, present, { exposeDefaultValues: true });
  const errors = validateSync(vars);
  if (errors.length > 0) {
    throw new ConfigError(
      errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `${e.property}: ${m}`)),
    );
  }
  return {
    ...databaseHosts(vars.DATABASE_URL, vars.PGSSLROOTCERT),
    ...brokerNodes(vars.AMQP_URL),
    quorumInitialGroupSize: vars.QUORUM_INITIAL_GROUP_SIZE,
    amqpTls: amqpTls(vars),
    managementUrl: vars.RABBITMQ_MANAGEMENT_URL,
    brokerUserPrefix: vars.BROKER_USER_PREFIX,
    publicBaseUrl: vars.PUBLIC_BASE_URL.replace(/\/+$/, '') || null,
    port: vars.PORT,
    tls: tlsSettings(vars),
    trustedProxies: listOf(vars.TRUSTED_PROXIES),
    xmlLimits: {
      maxBytes: vars.MAX_PACKAGE_BYTES,
      maxDepth: vars.XML_MAX_DEPTH,
      maxElements: vars.XML_MAX_ELEMENTS,
      maxAttributesPerElement: vars.XML_MAX_ATTRIBUTES,
    },
    quarantineMaxStoredBytes: vars.QUARANTINE_MAX_STORED_BYTES,
    ingressPrefetch: vars.INGRESS_PREFETCH,
    inspectionThreads: vars.INSPECTION_THREADS,
    outboxLeaseSeconds: vars.OUTBOX_LEASE_SECONDS,
    outboxSweepIntervalMs: vars.OUTBOX_SWEEP_INTERVAL_MS,
    directoryTtlMs: vars.DIRECTORY_TTL_MS,
    dbPoolSize: vars.DB_POOL_SIZE,
    ingressDeliveryLimit: vars.INGRESS_DELIVERY_LIMIT,
    inboxDeliveryLimit: vars.INBOX_DELIVERY_LIMIT,
    logLevel: vars.LOG_LEVEL,
    instanceName: vars.INSTANCE_NAME,
    consoleTimeZone: timeZone(vars.CONSOLE_TIME_ZONE),
    ...trustMaterial(vars),
    revocation: {
      graceSeconds: vars.REVOCATION_GRACE_SECONDS,
      retryAfterSeconds: vars.REVOCATION_RETRY_SECONDS,
      timeoutMs: vars.REVOCATION_TIMEOUT_MS,
    },
    pdfSignaturePolicy: vars.PDF_SIGNATURE_POLICY,
    deadlines: {
      arrivalSeconds: numbers(vars.DEADLINE_ARRIVAL_SECONDS),
      decisionSeconds: numbers(vars.DEADLINE_DECISION_SECONDS),
      sweepIntervalMs: vars.DEADLINE_SWEEP_INTERVAL_MS,
    },
    breaker: { failures: vars.BREAKER_FAILURES, pauseSeconds: vars.BREAKER_PAUSE_SECONDS },
    faultInjection: vars.FAULT_INJECTION,
    audit: {
      sealIntervalMs: vars.AUDIT_SEAL_INTERVAL_MS,
      checkpointIntervalMs: vars.AUDIT_CHECKPOINT_INTERVAL_MS,
    },
    retention: {
      archiveDir: vars.ARCHIVE_DIR,
      hotMonths: vars.RETENTION_HOT_MONTHS,
      totalYears: vars.RETENTION_TOTAL_YEARS,
    },
    bridge: {
      secretsKeyFile: vars.BRIDGE_SECRETS_KEY_FILE,
      spoolDirectory: vars.BRIDGE_SPOOL_DIR,
      clockSkewSeconds: vars.BRIDGE_CLOCK_SKEW_SECONDS,
      timestampZoneMinutes: vars.BRIDGE_TIMESTAMP_ZONE_MINUTES,
      listingLeaseSeconds: vars.BRIDGE_LISTING_LEASE_SECONDS,
    },
    ...overrides,
  };
}

/** Where `edoc-bus pki init` writes the test PKI by default. */
export const DEFAULT_PKI_DIR = 'certs/generated';

function trustMaterial(vars: EnvironmentVariables): Pick<BusConfig, 'trust' | 'trustSources' | 'busSigning'> {
  const generated = (name: string) => {
    const file = resolve(DEFAULT_PKI_DIR, name);
    return existsSync(file) ? file : '';
  };
  const anchors = listOf(vars.TRUST_ANCHORS || generated('trust-anchors.pem'));
  const intermediates = listOf(vars.TRUST_INTERMEDIATES || generated('intermediates.pem'));
  const keyFile = vars.BUS_SIGNING_KEY || generated('bus.key');
  const certFile = vars.BUS_SIGNING_CERT || generated('bus.crt');
  const read = readConfigFile;
  return {
    trust: { anchorsPem: anchors.map(read).join('\n'), intermediatesPem: intermediates.map(read).join('\n') },
    trustSources: [...anchors, ...intermediates],
    busSigning: keyFile && certFile ? { keyPem: read(keyFile), certPem: read(certFile) } : null,
  };
}

/** A file the configuration names, read once at start-up; unreadable is a configuration error. */
function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

/** A verifying DATABASE_URL gets PGSSLROOTCERT as its `sslrootcert` unless it names one. */
export function withRootCertificate(url: string, rootCertFile: string): string {
  const u = new URL(url);
  const mode = u.searchParams.get('sslmode');
  if (!rootCertFile || (mode !== 'verify-full' && mode !== 'verify-ca') || u.searchParams.has('sslrootcert'))
    return url;
  if (!existsSync(rootCertFile)) throw new ConfigError([`PGSSLROOTCERT: cannot read ${rootCertFile}`]);
  u.searchParams.set('sslrootcert', resolve(rootCertFile));
  return u.toString();
}

function amqpTls(vars: EnvironmentVariables): AmqpTls | null {
  if (!vars.AMQP_TLS_CA && !vars.AMQP_TLS_CERT && !vars.AMQP_TLS_KEY) return null;
  if (!!vars.AMQP_TLS_CERT !== !!vars.AMQP_TLS_KEY)
    throw new ConfigError(['AMQP_TLS_CERT and AMQP_TLS_KEY go together']);
  const read = (file: string) => (file ? readConfigFile(file) : null);
  return {
    caPem: read(vars.AMQP_TLS_CA),
    certPem: read(vars.AMQP_TLS_CERT),
    keyPem: read(vars.AMQP_TLS_KEY),
  };
}

function tlsSettings(vars: EnvironmentVariables): TlsSettings | null {
  if (!vars.TLS_CERT && !vars.TLS_KEY) {
    if (vars.TLS_CA)
      throw new ConfigError(['TLS_CA asks for client certificates: set TLS_CERT and TLS_KEY too']);
    return null;
  }
  if (!vars.TLS_CERT || !vars.TLS_KEY) throw new ConfigError(['TLS_CERT and TLS_KEY go together']);
  for (const file of [vars.TLS_CERT, vars.TLS_KEY, vars.TLS_CA].filter(Boolean)) {
    if (!existsSync(file)) throw new ConfigError([`cannot read ${file} (TLS_CERT, TLS_KEY, TLS_CA)`]);
  }
  return {
    certFile: resolve(vars.TLS_CERT),
    keyFile: resolve(vars.TLS_KEY),
    caFile: vars.TLS_CA ? resolve(vars.TLS_CA) : null,
    plaintext: vars.HTTP_PLAINTEXT || 'redirect',
    ticketRotationSeconds: vars.TLS_TICKET_ROTATION_SECONDS,
  };
}

function timeZone(name: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return name;
  } catch {
    throw new ConfigError([
      `CONSOLE_TIME_ZONE: ${name} is not a time zone (an IANA name such as Asia/Ho_Chi_Minh)`,
    ]);
  }
}

function numbers(list: string): number[] {
  return list.split(',').map((n) => Number(n.trim()));
}

/** A comma-separated setting (files, URLs of a cluster's nodes) as its non-empty items. */
export function listOf(setting: string): string[] {
  return setting
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** One URL or several comma-separated, passwords masked, for error messages. */
export function redactUrls(setting: string): string {
  return listOf(setting).map(redactUrl).join(', ');
}

/** The token under which the validated configuration is provided to Nest. */
export const BUS_CONFIG = Symbol('BUS_CONFIG');

/**
 * AMQP_URL read as the nodes of one cluster: they must share scheme, user and vhost, since the bus
 * is one user of one vhost whichever node it reaches.
 */
function brokerNodes(setting: string): { amqpUrl: string; amqpFailoverUrls: string[] } {
  const [first, ...others] = listOf(setting);
  const key = (url: string) => {
    const u = new URL(url);
    return `${u.protocol} ${u.username} ${u.pathname || '/'}`;
  };
  if (others.some((url) => key(url) !== key(first!))) {
    throw new ConfigError(['AMQP_URL: the nodes of one cluster must share scheme, user and vhost']);
  }
  return { amqpUrl: first!, amqpFailoverUrls: others };
}

function databaseHosts(
  setting: string,
  rootCertFile: string,
): { databaseUrl: string; databaseFailoverUrls: string[] } {
  const [first, ...others] = databaseUrlsOf(setting).map((url) => withRootCertificate(url, rootCertFile));
  return { databaseUrl: first!, databaseFailoverUrls: others };
}

/** Every database host, the first one first. */
export function databaseNodesOf(config: Pick<BusConfig, 'databaseUrl' | 'databaseFailoverUrls'>): string[] {
  return [config.databaseUrl, ...config.databaseFailoverUrls];
}

/** scheme, user@ (optional), host[:port][,host[:port]…], the rest (database, parameters). */
const LIBPQ_URL = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(.*)$/;

/**
 * DATABASE_URL in libpq's multi-host form (`postgres://u@h1:5432,h2:5433/db?…`) as one URL per
 * host, the same user, database and parameters on each; a single-host URL as itself.
 */
export function databaseUrlsOf(setting: string): string[] {
  const m = LIBPQ_URL.exec(setting.trim());
  if (!m || !m[3]!.includes(',')) return [setting.trim()];
  const [, scheme, credentials = '', hosts, rest] = m;
  return hosts!.split(',').map((host) => `${scheme}${credentials}${host}${rest}`);
}

/** The inverse of databaseUrlsOf: one setting naming every host. */
export function databaseUrlSetting(urls: readonly string[]): string {
  if (urls.length === 1) return urls[0]!;
  const parsed = urls.map((url) => LIBPQ_URL.exec(url)!);
  const [, scheme, credentials = '', , rest] = parsed[0]!;
  return `${scheme}${credentials}${parsed.map((m) => m[3]).join(',')}${rest}`;
}

/** Every node the bus may connect to, the first one first. */
export function amqpNodesOf(config: Pick<BusConfig, 'amqpUrl' | 'amqpFailoverUrls'>): string[] {
  return [config.amqpUrl, ...config.amqpFailoverUrls];
}

/** A URL with its password masked, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
