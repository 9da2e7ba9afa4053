export { createMediaTypeChooser, responseMediaTypePlugin } from './plugin.js';
export type { MediaTypeChooser } from './plugin.js';
