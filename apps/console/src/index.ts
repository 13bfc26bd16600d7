export { buildConsole } from './app';
export { BULL_BOARD_PATH } from './bull-board';
export { buildOpenApiDocument } from './openapi';
export type { ConsoleDeps, TestAndEnableResult } from './types';
