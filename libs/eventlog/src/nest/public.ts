import { SetMetadata } from '@nestjs/common';

export const PUBLIC_KEY = 'medic:public';
/** An endpoint anyone may call without an API key (health probes, metrics scrapes). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export const RAW_RESPONSE_KEY = 'medic:raw-response';
/** An endpoint whose body is sent as it is, outside the JSON envelope (Prometheus text). */
export const RawResponse = () => SetMetadata(RAW_RESPONSE_KEY, true);
