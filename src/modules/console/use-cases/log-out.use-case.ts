import { Injectable } from '@nestjs/common';
import { sessionIdHash } from '../domain/console-session';
import { ConsoleSessionRepository } from '../console-users.port';

@Injectable()
export class LogOut {
  constructor(private readonly sessions: ConsoleSessionRepository) {}

  async execute(sessionId: string): Promise<void> {
    await this.sessions.delete(sessionIdHash(sessionId));
  }
}
