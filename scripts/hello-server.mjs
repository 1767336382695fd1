// The floor under any request of ours: a bare node:http server answering "hello" on 127.0.0.1 and a
// free port, which it prints as one JSON line ({"port": N}) once listening. Started by the benchmark
// scripts (scripts/built-server.mjs) and by the bench suite's `floor` scenario.
import { createServer } from "node:http";

const server = createServer((_request, response) => {
  response.writeHead(200, { "content-type": "text/plain" });
  response.end("hello");
}).listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
