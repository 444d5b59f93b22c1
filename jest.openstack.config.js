/** The real-cloud suite (`npm run test:openstack`): test/openstack-real against Debian's OpenStack, one file at a time. */
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/openstack-real/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 600_000,
  maxWorkers: 1,
};
