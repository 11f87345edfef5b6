import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ConsoleSession } from '../../../modules/console/domain/console-user';
import { GetDocumentTimeline } from '../../../modules/console/use-cases/get-document-timeline.use-case';
import { SearchDeliveries } from '../../../modules/console/use-cases/search-deliveries.use-case';
import { LocateArchivedDocument } from '../../../modules/retention/use-cases/locate-archived-document.use-case';
import { ConsolePage, ConsoleUser } from './console-access';
import { langOf, text } from './console-request';
import { ConsoleView } from './console-view';
import { page, t } from './html';
import { archivedNote, deliveriesPage } from './pages/deliveries.page';
import { documentPage } from './pages/document.page';

/** The delivery log and one document's timeline; archived documents are located, not lost. */
@Controller('console')
export class DeliveriesController {
  constructor(
    private readonly view: ConsoleView,
    private readonly search: SearchDeliveries,
    private readonly timeline: GetDocumentTimeline,
    private readonly locateArchived: LocateArchivedDocument,
  ) {}

  @Get('deliveries')
  @ConsolePage()
  async deliveries(
    @Req() req: Request,
    @Res() res: Response,
    @Query() q: Record<string, unknown>,
    @ConsoleUser() s: ConsoleSession,
  ): Promise<void> {
    const lang = langOf(req, res);
    const date = (v: unknown) => {
      const given = text(v);
      return given ? this.view.clock.parse(given) : null;
    };
    const filter = {
      documentId: text(q['documentId']),
      sender: text(q['sender']),
      recipient: text(q['recipient']),
      state: text(q['state']),
      subject: text(q['subject']),
      priority:
        text(q['priority']) !== null && /^[0-4]$/.test(String(q['priority'])) ? Number(q['priority']) : null,
      from: date(q['from']),
      to: date(q['to']),
    };
    const started = performance.now();
    const result = await this.search.execute(filter, text(q['after']), 50);
    const ms = performance.now() - started;
    // Nothing in the database for a DocumentId: its month may have gone to the archive.
    const archived =
      filter.documentId && result.lines.length === 0
        ? await this.locateArchived.forOperator({ documentId: filter.documentId })
        : [];
    const body = deliveriesPage(this.view, lang, q, result, ms, archived);
    res.type('html').send(this.view.page(lang, t(lang, 'deliveries'), body, s));
  }

  @Get('documents/:busId')
  @ConsolePage()
  async document(
    @Req() req: Request,
    @Res() res: Response,
    @Param('busId') busId: string,
    @ConsoleUser() s: ConsoleSession,
  ): Promise<void> {
    const lang = langOf(req, res);
    const found = await this.timeline.execute(busId);
    if (!found) {
      const [archived] = await this.locateArchived.forOperator({ busId });
      return void res
        .status(archived ? 410 : 404)
        .type('html')
        .send(page(lang, t(lang, 'timeline'), archived ? archivedNote(lang, archived) : '<p>404</p>', s));
    }
    res.type('html').send(this.view.page(lang, t(lang, 'timeline'), documentPage(this.view, lang, found), s));
  }
}
