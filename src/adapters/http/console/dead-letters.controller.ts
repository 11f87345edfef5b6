import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ConsoleSession } from '../../../modules/console/domain/console-user';
import { ListDeadLetters } from '../../../modules/dead-letters/use-cases/list-dead-letters.use-case';
import { RedeliverDeadLetter } from '../../../modules/dead-letters/use-cases/redeliver-dead-letter.use-case';
import { ConsolePage, ConsoleUser, PostedForm } from './console-access';
import { langOf } from './console-request';
import { ConsoleView } from './console-view';
import { esc, page, t } from './html';
import { deadLettersPage } from './pages/dead-letters.page';

@Controller('console')
export class DeadLettersController {
  constructor(
    private readonly view: ConsoleView,
    private readonly deadLetters: ListDeadLetters,
    private readonly redeliver: RedeliverDeadLetter,
  ) {}

  @Get('dead-letters')
  @ConsolePage()
  async list(
    @Req() req: Request,
    @Res() res: Response,
    @ConsoleUser() s: ConsoleSession,
    @Query('done') done?: string,
  ): Promise<void> {
    const lang = langOf(req, res);
    const letters = await this.deadLetters.execute({ limit: 200 });
    const body = deadLettersPage(this.view, lang, s, letters, Boolean(done));
    res.type('html').send(this.view.page(lang, t(lang, 'deadLetters'), body, s));
  }

  @Post('dead-letters/:id/redeliver')
  @ConsolePage('dead-letter.redeliver')
  async redeliverLetter(
    @Req() req: Request,
    @Res() res: Response,
    @Param('id') id: string,
    @PostedForm() f: URLSearchParams,
    @ConsoleUser() s: ConsoleSession,
  ): Promise<void> {
    const r = await this.redeliver.execute({
      id,
      actor: `console:${s.username}`,
      reason: f.get('reason') ?? '',
    });
    if (r.outcome !== 'redelivered') {
      const lang = langOf(req, res);
      return void res
        .status(409)
        .type('html')
        .send(
          page(
            lang,
            t(lang, 'deadLetters'),
            `<p class="error">${esc(r.outcome === 'not-found' ? '404' : r.why)}</p>`,
            s,
          ),
        );
    }
    res.redirect(303, '/console/dead-letters?done=1');
  }
}
