import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { toDecisionThresholds, type MedicConfig } from '@medic/config';
import type { DecisionThresholds, ThresholdsUpdated } from '@medic/domain';
import { DATA_SOURCE, MEDIC_CONFIG } from '@medic/eventlog';
import { DecisionThresholdsRow, THRESHOLDS_SCOPE, thresholdsUpdateOf } from '@medic/standing';

/** The decision thresholds as configured, and the update an admin last made over them (the gateway's projection of the control log). */
@Injectable()
export class ThresholdsInForce {
  readonly configured: DecisionThresholds;

  constructor(
    @Inject(MEDIC_CONFIG) config: MedicConfig,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {
    this.configured = toDecisionThresholds(config);
  }

  /** The last update, or null while the configured thresholds hold. */
  async update(): Promise<ThresholdsUpdated | null> {
    const row = await this.dataSource.getRepository(DecisionThresholdsRow).findOneBy({ scope: THRESHOLDS_SCOPE });
    return row === null ? null : thresholdsUpdateOf(row);
  }

  /** What kills are decided by now: the last update, else the configured thresholds. */
  async current(): Promise<{ values: DecisionThresholds; update: ThresholdsUpdated | null }> {
    const update = await this.update();
    return { values: update ?? this.configured, update };
  }
}
