import { Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ConsoleSession } from '../../../modules/console/domain/console-user';
import { ListConsoleEndpoints } from '../../../modules/console/use-cases/list-console-endpoints.use-case';
import {
  ChangeEndpointStatus,
  ChangeEndpointStatusCommand,
} from '../../../modules/registry/use-cases/change-endpoint-status.use-case';
import {
  ChangeSignaturePolicy,
  ChangeSignaturePolicyCommand,
} from '../../../modules/registry/use-cases/change-signature-policy.use-case';
import { InvalidCommandError } from '../../../modules/shared/command';
import { DomainRuleError } from '../../../modules/shared/errors';
import type { SignaturePolicy } from '../../../modules/trust/policy/signature-policy';
import { ConsolePage, ConsoleUser, PostedForm } from './console-access';
import { langOf } from './console-request';
import { ConsoleView } from './console-view';
import { esc, page, t } from './html';
import { endpointsPage } from './pages/endpoints.page';

/** The endpoints and the changes an admin makes to them, through the same use cases as the CLI. */
@Controller('console')
export class EndpointsController {
  constructor(
    private readonly view: ConsoleView,
    private readonly endpoints: ListConsoleEndpoints,
    private readonly changeStatus: ChangeEndpointStatus,
    private readonly changePolicy: ChangeSignaturePolicy,
  ) {}

  @Get('endpoints')
  @ConsolePage()
  async list(
    @Req() req: Request,
    @Res() res: Response,
    @ConsoleUser() s: ConsoleSession,
    @Query('done') done?: string,
  ): Promise<void> {
    const lang = langOf(req, res);
    const body = endpointsPage(this.view, lang, s, await this.endpoints.execute(), Boolean(done));
    res.type('html').send(this.view.page(lang, t(lang, 'endpoints'), body, s));
  }

  @Post('endpoints/:organId/status')
  @ConsolePage('endpoint.lock')
  status(
    @Req() req: Request,
    @Res() res: Response,
    @Param('organId') organId: string,
    @PostedForm() f: URLSearchParams,
    @ConsoleUser() s: ConsoleSession,
  ): Promise<void> {
    return this.change(req, res, s, () =>
      this.changeStatus.execute(
        ChangeEndpointStatusCommand.create({
          code: organId,
          action: f.get('action') === 'unlock' ? 'unlock' : 'lock',
          reason: f.get('reason') ?? '',
          actor: `console:${s.username}`,
        }),
      ),
    );
  }

  @Post('endpoints/:organId/policy')
  @ConsolePage('endpoint.policy')
  policy(
    @Req() req: Request,
    @Res() res: Response,
    @Param('organId') organId: string,
    @PostedForm() f: URLSearchParams,
    @ConsoleUser() s: ConsoleSession,
  ): Promise<void> {
    return this.change(req, res, s, () =>
      this.changePolicy.execute(
        ChangeSignaturePolicyCommand.create({
          code: organId,
          policy: f.get('policy') as SignaturePolicy, // validated by the command
          reason: f.get('reason') ?? '',
          actor: `console:${s.username}`,
        }),
      ),
    );
  }

  /**
   * A form the use case refuses (no reason, a policy that does not exist, an unknown endpoint:
   * what a hand-made form can send) gets a 400 page saying why, not a server error.
   */
  private async change(
    req: Request,
    res: Response,
    s: ConsoleSession,
    change: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await change();
    } catch (error) {
      if (!(error instanceof InvalidCommandError || error instanceof DomainRuleError)) throw error;
      return void res
        .status(400)
        .type('html')
        .send(page(langOf(req, res), '400', `<p class="error" id="refused">${esc(error.message)}</p>`, s));
    }
    res.redirect(303, '/console/endpoints?done=1');
  }
}
