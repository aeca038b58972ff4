import { SetMetadata } from '@nestjs/common';

export const PUBLIC_KEY = 'medic:public';
/** An endpoint anyone may call without an API key (health probes, metrics scrapes). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
