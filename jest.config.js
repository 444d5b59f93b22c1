/** jest runs the TypeScript sources as ESM through @swc/jest; workflows are bundled once per run. */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The real-cloud suite needs the OpenStack stack: `npm run test:openstack` (jest.openstack.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/openstack-real/'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
