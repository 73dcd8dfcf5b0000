/**
 * commander, required as the CommonJS package it is. An ESM `import` of it makes Node scan its
 * source for named exports first (cjs-module-lexer): ~6 ms of every run's start-up. Same module
 * instance either way (an ESM import of it elsewhere shares the CommonJS cache).
 */
import { createRequire } from 'node:module';

const commander = createRequire(import.meta.url)('commander') as typeof import('commander');

export const { Command, CommanderError, Help, Option } = commander;
export type Command = import('commander').Command;
export type CommanderError = import('commander').CommanderError;
