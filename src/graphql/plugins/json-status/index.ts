export { APPLICATION_JSON, jsonStatusPlugin, preferredResponseType } from './plugin.js';
