/**
 * Hand-written stand-in for the generated `api` object (see server.ts in this folder). syncdoc's
 * client calls functions by name (`sync:pushOps`), so this only serves typechecking.
 */
import { anyApi, type ApiFromModules, type FilterApi, type FunctionReference } from 'convex/server';
import type * as sync from '../sync';

export const api = anyApi as unknown as FilterApi<ApiFromModules<{ sync: typeof sync }>, FunctionReference<any, 'public'>>;
