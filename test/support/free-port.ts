// The harness lives in src/dev/ so that bench/ can use it without importing the test suite.
export { freePort } from '../../src/dev/free-port.js';
