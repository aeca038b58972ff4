import type { LoggerService } from '@nestjs/common';
import { Logger } from '@medic/observability';

/** Routes Nest's own log lines through the JSON logger. */
export class NestJsonLogger implements LoggerService {
  private readonly logger: Logger;

  constructor(service: string) {
    this.logger = new Logger(`medic.${service}.nest`);
  }

  log(message: unknown, context?: string): void {
    this.logger.debug(String(message), { nest_context: context });
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error(String(message), { nest_context: context, stack: trace });
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn(String(message), { nest_context: context });
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug(String(message), { nest_context: context });
  }
  verbose(message: unknown, context?: string): void {
    this.logger.debug(String(message), { nest_context: context });
  }
}
