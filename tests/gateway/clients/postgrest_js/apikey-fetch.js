// Every request of the suite carries the gateway's service_role key as `apikey` (and as the bearer token
// unless the test sent its own), as a Supabase client does. Nothing else of the request is changed.
// This module stands for @supabase/node-fetch, the client's fallback when a test removes the global fetch
// (jest's moduleNameMapper points the package here); apikey-setup.js wraps the global fetch.
const path = require('path')

const realNodeFetch = require(path.join(__dirname, 'node_modules', '@supabase', 'node-fetch'))

function withKey(init = {}) {
  const headers = new Headers(init.headers)
  const key = process.env.GATEWAY_API_KEY
  if (!headers.has('apikey')) headers.set('apikey', key)
  if (!headers.has('authorization')) headers.set('Authorization', `Bearer ${key}`)
  return { ...init, headers: Object.fromEntries(headers.entries()) }
}

function nodeFetch(input, init) {
  return realNodeFetch(input, withKey(init))
}
Object.assign(nodeFetch, realNodeFetch, { default: nodeFetch })

module.exports = nodeFetch
module.exports.withKey = withKey
