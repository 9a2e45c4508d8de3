// The spec's triple-database fallback code ("How It Works", "Data Flow Example") on the real
// supabase-js, driven by fallback-harness over JSON lines, protocol 2 (fallback/adapters/protocol_messages.py):
// one request per line on stdin, one reply per line on stdout; stderr is the app's console.
//
//   node clients/spec-js/adapter.mjs          (after `npm ci --prefix clients/spec-js`)
//
// DEVIATIONS from the document's code, each the smallest change that makes it run (also in
// DEVIATIONS.md, with the figures measured on the stack):
//  D1  `const { data, error } = await ...`: the document assigns the whole `{ data, error }`
//      response to `primaryData` and reads `primaryData.length` (undefined) and, in Step 4,
//      `primaryData.map` (a TypeError outside every try: loadData always rejects, even with all
//      three databases up). We keep `data`.
//  D2  `if (error) throw error;`: supabase-js returns errors instead of throwing, so the
//      document's `catch` blocks never see an outage. Without D2 a failed source still lands in
//      the catch, but only by accident (`null.length` throws a TypeError naming no cause).
//  D3  Console lines: the document's code logs `'✅ PRIMARY DB: Loaded', n, 'records'` while its
//      "Console Logs You'll See" section shows `✅ PRIMARY Database: Found 45 challenges`, etc.
//      We print the section's lines, byte for byte those of fallback/client/console.py.
//  D4  The table is a parameter (the document hardcodes 'user_challenges' but logs profiles too).
//  D5  The routed update: `update({ ... })` has no filter (PostgREST refuses it, or updates every
//      row); we add `.eq('id', challenge.id)` and `.select()` to learn whether the row was there,
//      and check `error` (D2) so a failed update is reported.
//  D6  The purchase write exists only as a flow chart; written here as the chart says:
//      insert on PRIMARY, on error BOLT, then OLD, then "Show error". `.select()` returns the
//      row with the id the database generated.
//  D7  console.* goes to stderr (stdout carries the protocol); the three clients are created by
//      `configure` from the harness's sources, with createClient(url, key) and no options (with
//      a signed-in user's token, only `global.headers.Authorization`, as a session would set it).
//  D8  Node 20 only: createClient builds a realtime client that needs a native WebSocket, which
//      Node 20 has behind `--experimental-websocket` (Node 22 has it on). Without it createClient
//      throws, so on Node 20 this file re-runs itself with that flag. No client option changes.
//  D9  Protocol 2 (any table): `loadData` takes the harness's `select`, `filters` and `order`
//      (PostgREST syntax, appended to the query as they are; without them it reads `select('*')`
//      exactly as the document does); rows are named by their table's primary key (from
//      `configure`) where D5 filters on `id`; the purchase leaves out key columns the database
//      fills, as the document's insert never sends an id.
//  D10 Delete is not in the document: `routedDelete` is written like its routed update (the same
//      ternary, `.delete()` instead of `.update(...)`), sent once.
//
// supabase-js 2.119.1 / postgrest-js 2.119.1 (pinned in package.json; they declare node >= 22 and run
// on Node 20 with D8; 2.109.0, the newest 2.x declaring node >= 20, has the same retry code inline).
// Read in node_modules/@supabase/postgrest-js/dist/index.mjs (fetchWithRetry, PostgrestBuilder.then):
//  - GET/HEAD/OPTIONS are retried up to DEFAULT_MAX_RETRIES = 3 times when fetch rejects (refused,
//    reset) after getRetryDelay(n) = min(1000 * 2**n, 30000) ms: 1 s, 2 s, 4 s, so a refused
//    select fails after ~7 s. A 503 or 520 answer is retried too; the wait is the Retry-After
//    header in seconds when present (PostgREST sends `Retry-After: 0`: four GETs back to back),
//    else 1, 2, 4 s. POST/PATCH are sent once. Aborts are never retried. Retries carry
//    `X-Retry-Count`. This is the policy outage-semantics.md describes for 2.119.x.
//  - No request timeout by default: DEFAULT_DB_OPTIONS = { schema: "public" }; `db.timeout` (ms)
//    opts in (the PostgrestClient constructor then wraps fetch with an AbortController). A
//    blackholed source holds the await until undici's own headersTimeout (measured: 300.8 s, and
//    then the GET is retried); the harness's per-call deadline ends it first.
//  - A rejected fetch becomes { data: null, status: 0, error: { message: "TypeError: fetch
//    failed", details: "...Caused by: Error: connect ECONNREFUSED ... (ECONNREFUSED)" } }.
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { Console } from 'node:console';
import { createRequire } from 'node:module';
import readline from 'node:readline';
import { Writable } from 'node:stream';

let createClient; // imported in main(): the relaunching parent never loads supabase-js
const require = createRequire(import.meta.url);
const LIBRARY = `@supabase/supabase-js ${require('@supabase/supabase-js/package.json').version}`;
const OPERATIONS = ['load', 'create', 'update', 'delete', 'call', 'metrics', 'shutdown'];
const PROTOCOL = 2;
const NAMES = ['PRIMARY', 'BOLT', 'OLD'];
const NOUNS = { user_challenges: 'challenges', profiles: 'profiles' };

const wire = process.stdout;
let consoleLines = 0; // sent with every reply: the harness waits until it has read as many stderr lines
const counted = new Writable({
  write(chunk, encoding, done) { // synchronous, so the count is right when the next reply is sent
    consoleLines += String(chunk).split('\n').length - 1;
    process.stderr.write(chunk);
    done();
  },
});
globalThis.console = new Console({ stdout: counted, stderr: counted }); // D7

// Instrumentation only (changes no behaviour): count the HTTP requests each source receives,
// so retries are visible in `metrics`; supabase-js resolves the global fetch at call time.
const requests = {};
const realFetch = globalThis.fetch;
let urls = [];
globalThis.fetch = (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  const hit = urls.find(([, base]) => url.startsWith(base));
  if (hit) requests[hit[0]] = (requests[hit[0]] ?? 0) + 1;
  return realFetch(input, init);
};

let supabase, boltSupabase, oldSupabase; // src/lib/db.ts
let tables = {}; // D9: table -> { primary_key: [...], generated: bool }, from `configure`
const stats = { loads: 0, creates: 0, updates: 0, deletes: 0 };

// --- D9: rows named by their table's key, queries in PostgREST's syntax ----------------------
const keyOf = (table) => tables[table]?.primary_key ?? ['id'];
const keyText = (table, row) => {
  const values = keyOf(table).map(c => String(row[c]));
  return values.length === 1 ? values[0] : JSON.stringify(values); // as fallback/client/keys.py writes it
};
function byKey(builder, table, row) {
  for (const column of keyOf(table)) builder = builder.eq(column, row[column]);
  return builder;
}
function withQuery(builder, { filters = [], order = null } = {}) {
  for (const filter of filters) {
    const at = filter.indexOf('=');
    builder.url.searchParams.append(filter.slice(0, at), filter.slice(at + 1));
  }
  if (order) builder.url.searchParams.append('order', order);
  return builder;
}
const current = new AsyncLocalStorage(); // the attempts of the operation being run (ops may overlap)

// --- recording: what each await did, in the harness's Attempt shape -----------------------
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;
function kindOf(response) {
  if (!response.error) return 'ok';
  if (response.status >= 400) return `http_${response.status}`;
  const text = `${response.error.message ?? ''} ${response.error.details ?? ''} ${response.error.hint ?? ''}`;
  if (/ECONNREFUSED/.test(text)) return 'refused';
  if (/abort/i.test(text)) return 'timeout';
  if (/ETIMEDOUT|UND_ERR_.*TIMEOUT|Timeout/.test(text)) return 'timeout';
  if (/ECONNRESET|UND_ERR_SOCKET|other side closed|socket hang up|EPIPE/.test(text)) return 'reset';
  return 'error';
}
function messageOf(error) {
  if (!error) return '';
  const cause = /Caused by: ([^\n]*)/.exec(error.details ?? '');
  const text = [error.code, error.message, cause ? `(${cause[1]})` : ''].filter(Boolean).join(' ');
  return text.replace(JWT, '***');
}
async function record(source, op, builder, rowId = null) {
  const start = performance.now();
  const response = await builder;
  const kind = kindOf(response);
  const rows = Array.isArray(response.data) ? response.data : [];
  current.getStore().push({
    source, op, kind, latency_ms: performance.now() - start, row_id: rowId,
    count: kind === 'ok' ? rows.length : null,
    ambiguous: ['insert', 'update', 'delete'].includes(op) && ['reset', 'timeout', 'error'].includes(kind),
    status: response.status || null, code: response.error?.code || null, message: messageOf(response.error),
  });
  return response;
}
const lastAttempt = () => current.getStore().at(-1);
const reason = (a) => (a.message ? `${a.kind} (${a.message})` : a.kind);
function why(source, error) {
  const attempt = current.getStore().findLast(a => a.source === source);
  return attempt && attempt.kind !== 'ok' ? reason(attempt) : `error (${error})`;
}

// --- the spec's code ------------------------------------------------------------------------
async function loadData(table = 'user_challenges', query = {}) { // D4, D9
  const columns = query.select ?? '*';
  console.log(' Loading data from ALL databases (PRIMARY + BOLT + OLD)...'); // D3
  // Step 1: Try PRIMARY database
  let primaryData = null;
  try {
    const { data, error } = await record('PRIMARY', 'select', withQuery(supabase.from(table).select(columns), query)); // D1
    if (error) throw error; // D2
    primaryData = data;
    console.log(`✅ PRIMARY Database: Found ${primaryData.length} ${NOUNS[table] ?? table}`); // D3
  } catch (error) {
    console.warn(`⚠ PRIMARY Database unavailable: ${why('PRIMARY', error)}`); // D3
  }

  // Step 2: Try BOLT database (fallback)
  let boltData = null;
  try {
    const { data, error } = await record('BOLT', 'select', withQuery(boltSupabase.from(table).select(columns), query)); // D1
    if (error) throw error; // D2
    boltData = data;
    console.log(`✅ BOLT Database: Found ${boltData.length} ${NOUNS[table] ?? table}`); // D3
  } catch (error) {
    console.warn(`⚠ BOLT Database unavailable: ${why('BOLT', error)}`); // D3
  }

  // Step 3: Try OLD database (legacy)
  let oldData = null;
  try {
    const { data, error } = await record('OLD', 'select', withQuery(oldSupabase.from(table).select(columns), query)); // D1
    if (error) throw error; // D2
    oldData = data;
    console.log(`✅ OLD Database: Found ${oldData.length} ${NOUNS[table] ?? table}`); // D3
  } catch (error) {
    console.warn(`⚠ OLD Database unavailable: ${why('OLD', error)}`); // D3
  }

  // Step 4: MERGE all data
  const allData = [
    ...(primaryData || []).map(d => ({ ...d, _db_source: 'PRIMARY' })),
    ...(boltData || []).map(d => ({ ...d, _db_source: 'BOLT' })),
    ...(oldData || []).map(d => ({ ...d, _db_source: 'OLD' }))
  ];

  // D3: the section's summary lines (fallback/client/console.py `merged`)
  console.log(` MERGED: Total ${NOUNS[table] ?? table}: ${allData.length}`);
  if (!primaryData && !boltData && !oldData) {
    console.warn('⚠ No databases available - showing cached data');
    console.error(` No cached data for ${table}: no source answered for ${table} (the spec's code has no cache)`);
  } else {
    for (const name of NAMES) console.log(`   - From ${name} DB: ${allData.filter(d => d._db_source === name).length}`);
    if (!primaryData) console.warn('⚠ System using fallback databases');
  }
  return allData;
}

// "User purchases challenge": PRIMARY, else BOLT, else OLD, else show error (D6).
async function purchase(table, row) {
  const clients = [['PRIMARY', supabase], ['BOLT', boltSupabase], ['OLD', oldSupabase]];
  for (const [name, client] of clients) {
    const { data, error } = await record(name, 'insert', client.from(table).insert(row).select());
    if (!error) return { ...data[0], _db_source: name }; // Record saved, _db_source = name
  }
  return null; // Show error
}

// "Automatic database routing" (D5)
async function routedUpdate(challenge, changes, table = 'user_challenges') {
  const dbClient = challenge._db_source === 'PRIMARY' ? supabase
                 : challenge._db_source === 'BOLT' ? boltSupabase
                 : oldSupabase;
  const source = dbClient === supabase ? 'PRIMARY' : dbClient === boltSupabase ? 'BOLT' : 'OLD';
  const { data, error } = await record(source, 'update',
    byKey(dbClient.from(table).update(changes), table, challenge).select(), keyText(table, challenge)); // D9
  if (!error && data.length === 0) Object.assign(lastAttempt(), { kind: 'not_found', count: 0 });
  return { source, row: !error && data.length ? { ...data[0], _db_source: source } : null };
}

// D10: not in the document; the routed update's shape with `.delete()`
async function routedDelete(row, table) {
  const dbClient = row._db_source === 'PRIMARY' ? supabase
                 : row._db_source === 'BOLT' ? boltSupabase
                 : oldSupabase;
  const source = dbClient === supabase ? 'PRIMARY' : dbClient === boltSupabase ? 'BOLT' : 'OLD';
  const { data, error } = await record(source, 'delete',
    byKey(dbClient.from(table).delete(), table, row).select(), keyText(table, row));
  if (!error && data.length === 0) Object.assign(lastAttempt(), { kind: 'not_found', count: 0 });
  return { source, row: !error && data.length ? { ...data[0], _db_source: source } : null };
}

// --- protocol handlers ----------------------------------------------------------------------
function configure({ sources, tables: keys }) {
  tables = keys ?? {};
  const names = (sources ?? []).map(s => s.name);
  if (names.join() !== NAMES.join()) throw new Unsupported(`the spec's code knows exactly PRIMARY, BOLT, OLD in that order; got ${names}`);
  // D7: default options; a signed-in user's token goes in the Authorization header, as supabase-js sends it
  // once a session exists (only when the harness signs a user in: `auth: user:...` scenarios).
  [supabase, boltSupabase, oldSupabase] = sources.map(s => createClient(s.url, s.key, s.access_token
    ? { global: { headers: { Authorization: `Bearer ${s.access_token}` } } } : undefined));
  urls = sources.map(s => [s.name, s.url.replace(/\/+$/, '') + '/']);
  return {};
}

async function timedOp(body) {
  const attempts = [];
  const start = performance.now();
  const out = await current.run(attempts, body);
  return { ...out, attempts, latency_ms: performance.now() - start };
}

async function load({ table, select, filters, order }) {
  stats.loads++;
  return timedOp(async () => {
    const rows = await loadData(table, { select, filters, order });
    const error = current.getStore().some(a => a.kind === 'ok') ? null : `no source answered for ${table} (the spec's code has no cache)`;
    return { rows, error };
  });
}

async function create({ table, row }) {
  stats.creates++;
  const { _db_source, ...body } = row;
  if (tables[table]?.generated ?? true) for (const column of keyOf(table)) delete body[column]; // D9
  return timedOp(async () => {
    const saved = await purchase(table, body);
    if (saved) console.log(`✅ Record saved to ${saved._db_source} (${NOUNS[table] ?? table} ${keyText(table, saved)})`);
    else console.error(' Could not save record to any database');
    return saved
      ? { row_id: keyText(table, saved), source: saved._db_source, outcome: 'ok', row: saved }
      : { row_id: null, source: null, outcome: 'fail', row: null };
  });
}

async function update({ table, row, changes }) {
  stats.updates++;
  return timedOp(async () => {
    const { source, row: written } = await routedUpdate(row, changes, table);
    return { row_id: keyText(table, row), source, outcome: written ? 'ok' : 'fail', row: written };
  });
}

async function remove({ table, row }) { // D10
  stats.deletes++;
  return timedOp(async () => {
    const { source, row: removed } = await routedDelete(row, table);
    return { row_id: keyText(table, row), source, outcome: removed ? 'ok' : 'fail', row: removed };
  });
}

async function assignMt5({ row, login, password, server, table = 'user_challenges' }) {
  stats.updates++;
  return timedOp(async () => {
    const target = row._db_source === 'PRIMARY' || row._db_source === 'BOLT' ? row._db_source : 'OLD';
    console.log(` Assigning credentials to ${target} DB...`);
    const changes = { mt5_login: login, mt5_password: password, mt5_server: server };
    const { source, row: written } = await routedUpdate(row, changes, table);
    if (written) console.log(`✅ Credentials assigned successfully in ${source} DB`);
    else console.error(` Failed to assign credentials in ${source} DB: ${lastAttempt().kind}`);
    return { row_id: keyText(table, row), table, source, outcome: written ? 'ok' : 'fail', row: written };
  });
}

// `call`: the app's flows by name (protocol 2); the document has one, Test 3's credential assignment.
const FLOWS = { assign_mt5: assignMt5 };
class Unsupported extends Error {}
async function call({ name, args }) {
  const flow = FLOWS[name];
  if (!flow) throw new Unsupported(`unknown flow ${name} (known: ${Object.keys(FLOWS).join(', ')})`);
  return flow(args ?? {});
}

const HANDLERS = {
  hello: () => ({ name: 'spec-js', version: `0.2.0 (${LIBRARY}, node ${process.version})`, operations: OPERATIONS, protocol: PROTOCOL }),
  configure,
  load,
  create,
  update,
  delete: remove,
  call,
  metrics: () => ({ requests: { ...requests }, ...stats }),
  shutdown: () => { setImmediate(() => process.exit(0)); return {}; },
};

function send(message) {
  wire.write(`${JSON.stringify({ ...message, console_lines: consoleLines })}\n`);
}

async function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    send({ id: null, ok: false, error: { kind: 'bad_request', message: 'not a JSON line' } });
    return;
  }
  const handler = HANDLERS[request.op];
  if (!handler) {
    send({ id: request.id, ok: false, error: { kind: 'unsupported', message: `unknown op ${request.op}` } });
    return;
  }
  if (!['hello', 'configure', 'shutdown'].includes(request.op) && !supabase) {
    send({ id: request.id, ok: false, error: { kind: 'bad_request', message: 'configure first' } });
    return;
  }
  try {
    send({ id: request.id, ok: true, result: await handler(request) });
  } catch (error) {
    if (error instanceof Unsupported) {
      send({ id: request.id, ok: false, error: { kind: 'unsupported', message: error.message } });
      return;
    }
    send({ id: request.id, ok: false, error: { kind: 'client_error', message: String(error?.stack ?? error).replace(JWT, '***') } });
  }
}

async function main() {
  ({ createClient } = await import('@supabase/supabase-js'));
  // Requests are handled as they arrive (concurrently, as a page's effects would run).
  readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
    .on('line', (line) => { if (line.trim()) handle(line); })
    .on('close', () => process.exit(0));
}

if (typeof globalThis.WebSocket === 'undefined' && !process.env.SPEC_JS_RELAUNCHED) { // D8
  const argv = ['--experimental-websocket', ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn(process.execPath, argv, { stdio: 'inherit', env: { ...process.env, SPEC_JS_RELAUNCHED: '1' } });
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await main();
}
