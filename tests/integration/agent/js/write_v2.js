// Writes through the agent with the official JavaScript client (@influxdata/influxdb-client),
// as an application would: v2 API, Token auth, buckets "db/rp" and "db". Prints one JSON line per
// step, for agent_js_client_test.cc to check.
//   node write_v2.js <module dir> <agent url> <token> <base time ms>
const [moduleDir, url, token, baseMs] = process.argv.slice(2);
const {InfluxDB, Point} = require(moduleDir + '/@influxdata/influxdb-client');

async function write(token, bucket, points) {
  const api = new InfluxDB({url, token}).getWriteApi('any-org', bucket, 'ms', {maxRetries: 0});
  api.writePoints(points);
  try {
    await api.close();
    return {ok: true};
  } catch (e) {
    return {ok: false, status: e.statusCode, code: e.code, message: e.message, body: e.body};
  }
}

function point(form, i, value) {
  const p = new Point('js').tag('form', form).timestamp(new Date(Number(baseMs) + i));
  return typeof value === 'number' ? p.intField('v', value) : p.stringField('v', value);
}

(async () => {
  const out = [];
  out.push(await write(token, 'db/autogen', [point('rp', 1, 1), point('rp', 2, 2)]));
  out.push(await write(token, 'db', [point('plain', 3, 3)]));
  // A field-type conflict: a partial write, answered in v2's shape.
  out.push(await write(token, 'db', [point('mixed', 4, 4), point('mixed', 5, 'five')]));
  out.push(await write('edge:wrong', 'db', [point('denied', 6, 6)]));
  for (const o of out) console.log(JSON.stringify(o));
})();
