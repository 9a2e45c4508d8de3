// A jest setup file: the global fetch sends the gateway's key too (see apikey-fetch.js).
const { withKey } = require('./apikey-fetch.js')

const inner = globalThis.fetch.bind(globalThis)
globalThis.fetch = (input, init) => inner(input, withKey(init))
