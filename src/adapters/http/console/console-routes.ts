import { AuditController } from './audit.controller';
import { ConsoleSessionGuard } from './console-access';
import { ConsoleView } from './console-view';
import { DeadLettersController } from './dead-letters.controller';
import { DeliveriesController } from './deliveries.controller';
import { EndpointsController } from './endpoints.controller';
import { LoginController } from './login.controller';
import { OverviewController } from './overview.controller';

/** The operator console at /console: one controller per page, behind the session guard. */
export const CONSOLE_CONTROLLERS = [
  LoginController,
  OverviewController,
  DeliveriesController,
  EndpointsController,
  DeadLettersController,
  AuditController,
];

export const CONSOLE_HTTP_PROVIDERS = [ConsoleView, ConsoleSessionGuard];
