/** Every typed error Sluice raises, in one place for mod.ts (callers branch with instanceof). */
export * from './errors.ts';
export * from './statement/errors.ts';
export * from './preflight/errors.ts';
export * from './table/errors.ts';
export * from './shadow/errors.ts';
export * from './native/errors.ts';
export * from './copier/errors.ts';
export * from './connection/errors.ts';
export * from './replay/errors.ts';
export * from './cutover/errors.ts';
export * from './blockers/errors.ts';
export { ResumeShadowMissingError } from './runner/prepare.ts';
export * from './connection/connect-errors.ts';
export * from './cleanup/errors.ts';
export * from './control/errors.ts';
