#!/usr/bin/env node
// The PeerJS server (npm "peer", the version in package.json) that
// onymous-bench --peerjs compares onymousd with. Installed by ./install,
// never by the tests.
//
//   node bench/peerjs/server.js [--port N] [--host 127.0.0.1]
//                               [--tls-key FILE --tls-cert FILE] [--ready-file FILE]
//
// Port 0 (the default) picks a free port; the port is printed on stdout
// and, with --ready-file, written there as {"port":N,"pid":P,"tls":bool}.
// Its limits are raised so that the bench measures the server, not them:
// no cap on concurrent clients and a long alive_timeout (the bench still
// sends HEARTBEAT every 5 s, as peerjs-client does).
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { PeerServer } = require(path.join(__dirname, "node_modules", "peer"));

function parseArgs(argv) {
    const args = { port: 0, host: "127.0.0.1", tlsKey: "", tlsCert: "", readyFile: "" };
    for (let i = 2; i < argv.length; i++) {
        const value = () => {
            if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
            return argv[++i];
        };
        switch (argv[i]) {
            case "--port": args.port = Number(value()); break;
            case "--host": args.host = value(); break;
            case "--tls-key": args.tlsKey = value(); break;
            case "--tls-cert": args.tlsCert = value(); break;
            case "--ready-file": args.readyFile = value(); break;
            default: throw new Error(`unknown option ${argv[i]}`);
        }
    }
    if (Boolean(args.tlsKey) !== Boolean(args.tlsCert)) throw new Error("--tls-key and --tls-cert go together");
    return args;
}

const args = parseArgs(process.argv);
const tls = Boolean(args.tlsKey);
const options = {
    port: args.port,
    host: args.host,
    path: "/",
    key: "peerjs",
    concurrent_limit: 10000000,
    alive_timeout: 3600000,
};
if (tls) options.ssl = { key: fs.readFileSync(args.tlsKey), cert: fs.readFileSync(args.tlsCert) };

PeerServer(options, (server) => {
    const port = server.address().port;
    console.log(`PeerServer ${require(path.join(__dirname, "node_modules", "peer", "package.json")).version} ` +
                `listening on ${args.host}:${port} (${tls ? "TLS" : "plain"}), WebSocket path /peerjs`);
    if (args.readyFile) {
        const temporary = `${args.readyFile}.tmp`;
        fs.writeFileSync(temporary, JSON.stringify({ port, pid: process.pid, tls }) + "\n");
        fs.renameSync(temporary, args.readyFile);
    }
});

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
