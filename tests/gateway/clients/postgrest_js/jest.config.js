// postgrest-js's own jest settings (its repository's jest.config.js), less coverage, plus a fetch that
// sends the gateway's API key: the suite was written for a PostgREST whose anonymous role is `postgres`.
module.exports = {
  rootDir: process.env.SUITE_DIR,
  roots: ['<rootDir>/test'],
  testEnvironment: 'node',
  maxWorkers: 1,
  testSequencer: __dirname + '/sequencer.js',
  setupFiles: [__dirname + '/apikey-setup.js'],
  moduleNameMapper: { '^@supabase/node-fetch$': __dirname + '/apikey-fetch.js' },
  moduleDirectories: ['node_modules', __dirname + '/node_modules'],
  transform: { '^.+\\.ts$': __dirname + '/node_modules/ts-jest' },
  // Transpile only: the suite's type-level checks are tstyche's business, not the gateway's.
  globals: { 'ts-jest': { isolatedModules: true, diagnostics: false } },
}
