import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query as QueryParams, Req } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiForbiddenResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import { isValidModuleName, type ModuleReleased } from '@medic/domain';
import { ApiError, DATA_SOURCE } from '@medic/eventlog';
import { ModuleReleaseRow } from '@medic/standing';
import type { AuthenticatedRequest } from '../auth/api-key.guard';
import { RequiresRole } from '../auth/roles';
import { parseModuleFilters } from '../decisions/decision-filters';
import { untilOwnViewShows } from '../http/own-view';
import { pageOfItems } from '../http/pagination';
import { CommandSender } from '../queue/command-sender';
import { IdempotencyStore, parseIdempotencyKey } from '../queue/idempotency';
import { ModuleDto, ModulePageDto, ModuleReleaseDto, parseReleaseReason, toModuleDto } from './module.dto';
import { ModuleStandings, type ModuleSummary } from './module-standings';

@ApiTags('modules')
@ApiSecurity('api-key')
@Controller('modules')
export class ModulesController {
  constructor(
    private readonly standings: ModuleStandings,
    private readonly sender: CommandSender,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every module Medic has seen a kill of, with its re-kills, backoff and quarantine; the last killed first' })
  @ApiQuery({ name: 'module', required: false })
  @ApiQuery({ name: 'quarantined', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'since', required: false, description: 'last killed at or after (ISO-8601)' })
  @ApiQuery({ name: 'until', required: false, description: 'last killed at or before (ISO-8601)' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'page_size', required: false, description: '1–200 (default 50)' })
  @ApiOkResponse({ type: ModulePageDto, description: 'in the response envelope, under data' })
  async list(@QueryParams() query: Record<string, unknown>): Promise<ModulePageDto> {
    const f = parseModuleFilters(query);
    const wanted = (m: ModuleSummary) =>
      (f.quarantined === null || (m.quarantine !== null) === f.quarantined) &&
      (f.since === null || (m.lastKillAt !== null && m.lastKillAt >= f.since)) &&
      (f.until === null || (m.lastKillAt !== null && m.lastKillAt <= f.until));
    return pageOfItems((await this.standings.list(f.module, new Date(), { reKilledOnly: f.quarantined === true })).filter(wanted), f, toModuleDto);
  }

  @Get(':name')
  @ApiOperation({ summary: 'One module and where it stands' })
  @ApiOkResponse({ type: ModuleDto, description: 'in the response envelope, under data' })
  @ApiNotFoundResponse({ description: 'Medic has seen no kill of this module' })
  async get(@Param('name') name: string): Promise<ModuleDto> {
    return toModuleDto(await this.find(name));
  }

  @Post(':name/release')
  @HttpCode(200)
  @RequiresRole('admin')
  @ApiOperation({ summary: 'Release a quarantined module (admin): its kills may be auto-approved again; recorded with the key name as actor' })
  @ApiBody({ required: false, schema: { type: 'object', properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } } } })
  @ApiOkResponse({ type: ModuleReleaseDto, description: 'in the response envelope, under data' })
  @ApiForbiddenResponse({ description: 'the key is not an admin key' })
  @ApiNotFoundResponse({ description: 'Medic has seen no kill of this module' })
  @ApiConflictResponse({ description: 'the module is not quarantined' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retry with the same key gets the first answer back' })
  async release(@Param('name') name: string, @Body() body: unknown, @Req() req: AuthenticatedRequest, @Headers('idempotency-key') idempotencyKey: string | undefined): Promise<ModuleReleaseDto> {
    const reason = parseReleaseReason(body);
    const actor = req.principal!.name;
    // A retry with the same Idempotency-Key gets the first answer back, not a 409 "not quarantined".
    return new IdempotencyStore(this.dataSource).once(actor, parseIdempotencyKey(idempotencyKey), { release: name, reason }, async () => {
      const current = await this.find(name);
      if (current.quarantine === null) throw new ApiError(409, 'not_quarantined', `module ${current.module} is not quarantined`);
      const event: ModuleReleased = { type: 'ModuleReleased', at: new Date().toISOString(), actor, module: current.module, reason };
      await this.sender.announce(event, current.module);
      await this.visible(event);
      return { module: event.module, released_at: event.at, released_by: event.actor, reason, quarantined_since: current.quarantine.since, re_kills: current.quarantine.reKills };
    });
  }

  private async find(name: string): Promise<ModuleSummary> {
    if (!isValidModuleName(name)) throw new ApiError(400, 'validation_error', 'name: is not a valid module name', 'name');
    const found = await this.standings.one(name);
    if (!found) throw new ApiError(404, 'not_found', `Medic has seen no kill of module ${name}`);
    return found;
  }

  /** Waits, a little, until the gateway's projection has the release. */
  private visible(event: ModuleReleased): Promise<void> {
    const repo = this.dataSource.getRepository(ModuleReleaseRow);
    return untilOwnViewShows(async () => (await repo.findOneBy({ targetModule: event.module }))?.releasedAt.getTime() ?? null, event.at);
  }
}
