// Bootstrap for running the scoring worker from TypeScript sources (tsx, vitest, `npm run dev`): registers tsx in
// this worker thread, then loads the worker. A compiled build (`npm run build`) loads dist/model/scoring-worker.js
// directly and never reaches this file.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./scoring-worker.ts');

export default worker.default;
