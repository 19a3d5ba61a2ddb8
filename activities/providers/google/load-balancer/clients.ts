// The Compute clients the load-balancer lever uses: one of each per process (shared by every
// site), on the REST transport like every Google client here, pointed where `apis.google` says.
import { GlobalOperationsClient, UrlMapsClient } from '@google-cloud/compute';
import type { BuildContext } from '../../descriptor.ts';
import { googleClientOptions } from '../options.ts';

export const urlMapsClient = (ctx: BuildContext): UrlMapsClient =>
  ctx.shared('google.compute.urlMaps', () => new UrlMapsClient(googleClientOptions(ctx.apis.google)));

export const globalOperationsClient = (ctx: BuildContext): GlobalOperationsClient =>
  ctx.shared('google.compute.globalOperations', () => new GlobalOperationsClient(googleClientOptions(ctx.apis.google)));
