import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ConsoleSession } from '../../../modules/console/domain/console-user';
import { ExportAuditAsUser } from '../../../modules/console/use-cases/export-audit-as-user.use-case';
import { ConsolePage, ConsoleUser } from './console-access';
import { langOf, text } from './console-request';
import { ConsoleView } from './console-view';
import { t } from './html';
import { auditPage } from './pages/audit.page';

/** The audit trail for auditors and admins: exported as the CLI exports it, verifiable offline. */
@Controller('console')
export class AuditController {
  constructor(
    private readonly view: ConsoleView,
    private readonly exportAudit: ExportAuditAsUser,
  ) {}

  @Get('audit')
  @ConsolePage('audit.export')
  show(@Req() req: Request, @Res() res: Response, @ConsoleUser() s: ConsoleSession): void {
    const lang = langOf(req, res);
    res.type('html').send(this.view.page(lang, t(lang, 'audit'), auditPage(this.view, lang), s));
  }

  /** The export as one JSON Lines file: links, entries, checkpoints, then the manifest. */
  @Get('audit/export')
  @ConsolePage('audit.export')
  async auditExport(
    @Res() res: Response,
    @Query() q: Record<string, unknown>,
    @ConsoleUser() s: ConsoleSession,
  ): Promise<void> {
    const from = this.view.clock.parse(text(q['from']) ?? '');
    const to = this.view.clock.parse(text(q['to']) ?? '');
    if (!from || !to || !(from < to))
      return void res.status(400).type('text').send('from and to are dates, from before to');
    res
      .status(200)
      .type('application/x-ndjson')
      .set(
        'content-disposition',
        `attachment; filename="edoc-bus-audit-${from.toISOString().slice(0, 10)}.jsonl"`,
      );
    const line = async (value: unknown) => {
      if (!res.write(JSON.stringify(value) + '\n')) await new Promise((r) => res.once('drain', r));
    };
    const manifest = await this.exportAudit.execute(
      s.username,
      { from, to, endpoint: text(q['endpoint']), document: null },
      {
        links: async (page) => {
          for (const l of page) await line({ type: 'link', ...l });
        },
        entries: async (page) => {
          for (const e of page) await line({ type: 'entry', ...e });
        },
        checkpoints: async (all) => line({ type: 'checkpoints', items: all }),
      },
    );
    await line({ type: 'manifest', ...manifest });
    res.end();
  }
}
