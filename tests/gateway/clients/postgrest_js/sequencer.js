// The suite's own order (test/testSequencer.js in postgrest-js): files alphabetically, as they share one database.
const Sequencer = require('@jest/test-sequencer').default

class ByPath extends Sequencer {
  sort(tests) {
    return tests.sort((a, b) => a.path.localeCompare(b.path))
  }
}

module.exports = ByPath
