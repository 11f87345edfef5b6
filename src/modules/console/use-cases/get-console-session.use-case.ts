import { Injectable } from '@nestjs/common';
import { sessionIdHash } from '../domain/console-session';
import { Clock } from '../../shared/clock';
import { ConsoleSessionRepository } from '../console-users.port';
import { type ConsoleSession } from '../domain/console-user';

@Injectable()
export class GetConsoleSession {
  constructor(
    private readonly sessions: ConsoleSessionRepository,
    private readonly clock: Clock,
  ) {}

  async execute(sessionId: string | undefined): Promise<ConsoleSession | null> {
    if (!sessionId || sessionId.length > 100) return null;
    return this.sessions.find(sessionIdHash(sessionId), this.clock.now());
  }
}
