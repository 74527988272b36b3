import path from 'node:path';

/**
 * The repository's root, whether this code runs from its TypeScript sources (tsx, jest: src/)
 * or compiled (npm start: dist/src/). Files the server reads at run time (the page's sources,
 * the native addon) are found from here.
 */
export const REPOSITORY_ROOT = path.resolve(__dirname, __filename.endsWith('.ts') ? '..' : '../..');
