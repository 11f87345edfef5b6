import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ConsoleSession } from '../../../modules/console/domain/console-user';
import { GetConsoleOverview } from '../../../modules/console/use-cases/get-console-overview.use-case';
import { ConsolePage, ConsoleUser } from './console-access';
import { langOf } from './console-request';
import { ConsoleView } from './console-view';
import { t } from './html';
import { overviewPage } from './pages/overview.page';

@Controller('console')
export class OverviewController {
  constructor(
    private readonly view: ConsoleView,
    private readonly overview: GetConsoleOverview,
  ) {}

  @Get('overview')
  @ConsolePage()
  async show(@Req() req: Request, @Res() res: Response, @ConsoleUser() s: ConsoleSession): Promise<void> {
    const lang = langOf(req, res);
    const o = await this.overview.execute();
    res
      .type('html')
      .send(this.view.page(lang, t(lang, 'overview'), overviewPage(this.view, lang, o, Date.now()), s));
  }
}
