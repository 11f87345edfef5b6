import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AmqpRuntime } from './amqp-runtime';

/**
 * Liveness: the process answers. Readiness: it can do its job — the database answers and the
 * broker connections (and, when this instance consumes, the ingress consumer) are up.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly amqp: AmqpRuntime,
  ) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<{ status: 'ok'; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    let timer: NodeJS.Timeout | undefined;
    try {
      // A database that hangs (not one that refuses) must still give an answer within 2 s.
      await Promise.race([
        this.db.query('SELECT 1'),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout after 2 s')), 2000))),
      ]);
      checks.database = 'up';
    } catch (error) {
      checks.database = `down: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      clearTimeout(timer);
    }
    Object.assign(checks, this.amqp.health());
    const ok = Object.values(checks).every((v) => v === 'up');
    if (!ok) throw new ServiceUnavailableException({ status: 'unavailable', checks });
    return { status: 'ok', checks };
  }
}
