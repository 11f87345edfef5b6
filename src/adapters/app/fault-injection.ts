import { Logger } from '@nestjs/common';
import { OutboxDispatcher, type PendingMessage } from '../../modules/routing/outbox-dispatcher.port';

/**
 * Test-only faults, enabled by `FAULT_INJECTION` (never set in production). `kill-after-commit`
 * kills the process with SIGKILL right after the first document's transaction commits and before
 * anything is published or the ingress message acknowledged: the worst moment for a crash, which
 * the crash test uses to show that nothing is lost and nothing is delivered twice.
 */
export class KillAfterCommitDispatcher extends OutboxDispatcher {
  constructor(private readonly inner: OutboxDispatcher) {
    super();
  }

  dispatch(messages: PendingMessage[]): void {
    if (messages.some((m) => m.record.messageType === 'edoc')) {
      new Logger('fault-injection').error('FAULT_INJECTION=kill-after-commit: killing the bus now');
      process.kill(process.pid, 'SIGKILL');
      return;
    }
    this.inner.dispatch(messages);
  }
}
