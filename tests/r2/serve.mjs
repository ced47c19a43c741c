// Cloudflare's R2 simulator (Miniflare) as an S3 server for the storage tests.
//
// Its S3 endpoint, under /cdn-cgi/local/r2/s3, checks requests as R2 does: SigV4 in the Authorization header
// and in presigned URLs (X-Amz-Expires included), the signed x-amz-content-sha256 against the body, and
// Content-MD5. moto_server checks none of the presigned part, so a signing bug could pass there and fail on R2.
//
// Usage: node serve.mjs '{"port": 9000, "buckets": ["videos"], "accessKeyId": "…", "secretAccessKey": "…",
// "log": "/tmp/requests.jsonl"}'. Buckets exist from the start (R2 makes them in the dashboard; the endpoint
// answers CreateBucket with NotImplemented). Prints "ready <endpoint>" once it answers.
//
// A small front on `port` relays every request unchanged, except that it answers `Expect: 100-continue` itself:
// workerd never does, and botocore waits a second for it before each upload. It also writes each request's
// method, path and headers to `log`, one JSON object a line, so a test sees what reached the server.

import { appendFileSync } from "node:fs";
import http from "node:http";
import { Miniflare } from "miniflare";

const options = JSON.parse(process.argv[2]);
const credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
const r2Buckets = Object.fromEntries(
  options.buckets.map((id, index) => [`BUCKET_${index}`, { id, s3Credentials: credentials }]),
);

const simulator = new Miniflare({
  host: "127.0.0.1",
  port: 0,
  modules: true,
  script: "export default { fetch() { return new Response('the R2 test server: use /cdn-cgi/local/r2/s3') } }",
  r2Buckets,
  r2Persist: false,
});
const upstream = new URL(await simulator.ready);
const agent = new http.Agent({ keepAlive: true });

const front = http.createServer((request, response) => {
  appendFileSync(
    options.log,
    `${JSON.stringify({ method: request.method, path: request.url, headers: request.headers })}\n`,
  );
  const headers = { ...request.headers };
  delete headers.expect; // Node's server has sent 100 Continue already
  const relay = http.request(
    { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers, agent },
    (answer) => {
      response.writeHead(answer.statusCode, answer.headers);
      answer.pipe(response);
    },
  );
  relay.on("error", (error) => {
    response.writeHead(502, { "content-type": "text/plain" });
    response.end(`the R2 test server's simulator did not answer: ${error.message}`);
  });
  request.pipe(relay);
});

front.listen(options.port, "127.0.0.1", () => {
  console.log(`ready http://127.0.0.1:${options.port}/cdn-cgi/local/r2/s3`);
});

async function stop() {
  front.close();
  await simulator.dispose();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
