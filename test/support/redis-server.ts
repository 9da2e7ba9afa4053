// The harness lives in src/dev/ so that bench/ can use it without importing the test suite.
export { commandCalls, redisCli, startRedis, startRedisCluster } from '../../src/dev/redis-server.js';
export type {
  RedisClusterNode,
  RedisClusterProcess,
  RedisProcess,
  StartRedisClusterOptions,
  StartRedisOptions,
} from '../../src/dev/redis-server.js';
