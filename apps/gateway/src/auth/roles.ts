import { SetMetadata } from '@nestjs/common';
import type { ApiRole } from '@medic/config';

export { Public, PUBLIC_KEY } from '@medic/eventlog';

export const ROLE_KEY = 'medic:role';

/** The least role an endpoint needs (admin > operator > viewer). Endpoints default to viewer. */
export const RequiresRole = (role: ApiRole) => SetMetadata(ROLE_KEY, role);
