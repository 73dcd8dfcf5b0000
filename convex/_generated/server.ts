/**
 * Hand-written stand-in for the file `npx convex dev` generates, so syncdoc can typecheck and test
 * the reference module without a deployment. Do not copy it into an app: Convex generates its own.
 */
import {
  mutationGeneric,
  queryGeneric,
  type DataModelFromSchemaDefinition,
  type GenericMutationCtx,
  type GenericQueryCtx,
  type MutationBuilder,
  type QueryBuilder,
} from 'convex/server';
import type schema from '../schema';

export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
export const mutation = mutationGeneric as MutationBuilder<DataModel, 'public'>;
export const query = queryGeneric as QueryBuilder<DataModel, 'public'>;
export type MutationCtx = GenericMutationCtx<DataModel>;
export type QueryCtx = GenericQueryCtx<DataModel>;
