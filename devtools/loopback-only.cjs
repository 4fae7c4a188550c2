// Preload for every Node program the demo and the tests start (Agents Playground, Azurite):
//   NODE_OPTIONS="--require /abs/path/devtools/loopback-only.cjs" node program.js
// The process may then talk to this machine only. Telemetry flags are the first guard; this is the
// second, for whatever a dependency tries that no flag turns off. A connection or name lookup for
// anything but loopback fails at once, as a refused connection would (ECONNREFUSED / ENOTFOUND),
// and one line naming it goes to the file in LOOPBACK_ONLY_LOG, or to stderr when that is unset.
'use strict';

const dgram = require('node:dgram');
const dns = require('node:dns');
const fs = require('node:fs');
const net = require('node:net');

function report(what) {
  const line = `[loopback-only] refused ${what} (pid ${process.pid})\n`;
  const file = process.env.LOOPBACK_ONLY_LOG;
  if (file) {
    try {
      fs.appendFileSync(file, line);
      return;
    } catch {
      // An unwritable log must not hide the refusal: fall through to stderr.
    }
  }
  process.stderr.write(line);
}

function isLoopback(host) {
  // Node connects to localhost when no host is given.
  if (host === undefined || host === null || host === '') return true;
  let name = String(host).toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (name === 'localhost') return true;
  if (name.startsWith('::ffff:')) name = name.slice(7); // IPv4-mapped IPv6
  if (net.isIPv4(name)) return name.split('.')[0] === '127';
  if (net.isIPv6(name)) return name === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(name);
  return false; // any other name would need DNS, which is refused below
}

function refusal(code, what) {
  return Object.assign(new Error(`${code}: loopback-only refused ${what}`), { code });
}

// --- name lookups -------------------------------------------------------------------------------

const realLookup = dns.lookup;
dns.lookup = function lookup(hostname, ...rest) {
  if (isLoopback(hostname)) return realLookup.call(this, hostname, ...rest);
  report(`lookup ${hostname}`);
  const callback = rest[rest.length - 1];
  const err = refusal('ENOTFOUND', `lookup ${hostname}`);
  err.hostname = hostname;
  if (typeof callback === 'function') process.nextTick(callback, err);
  return {};
};

const realPromiseLookup = dns.promises.lookup;
dns.promises.lookup = function lookup(hostname, ...rest) {
  if (isLoopback(hostname)) return realPromiseLookup.call(this, hostname, ...rest);
  report(`lookup ${hostname}`);
  return Promise.reject(refusal('ENOTFOUND', `lookup ${hostname}`));
};

// resolve*() ask a DNS server directly (not through lookup): refuse them all, whatever the name.
for (const target of [dns, dns.Resolver.prototype]) {
  for (const key of Object.keys(target)) {
    if (!/^resolve|^reverse$/.test(key) || typeof target[key] !== 'function') continue;
    target[key] = function refused(name, ...rest) {
      report(`DNS query ${key} ${name}`);
      const callback = rest[rest.length - 1];
      if (typeof callback === 'function') process.nextTick(callback, refusal('ECONNREFUSED', `DNS ${name}`));
      return {};
    };
  }
}
for (const target of [dns.promises, dns.promises.Resolver.prototype]) {
  for (const key of Object.keys(target)) {
    if (!/^resolve|^reverse$/.test(key) || typeof target[key] !== 'function') continue;
    target[key] = function refused(name) {
      report(`DNS query ${key} ${name}`);
      return Promise.reject(refusal('ECONNREFUSED', `DNS ${name}`));
    };
  }
}

// --- TCP (http, https, tls, fetch and WebSocket clients all end up here) --------------------------

function tcpTarget(args) {
  // net.connect() hands connect() its already-normalised arguments as an array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first !== null && typeof first === 'object') {
    return first.path ? null : { host: first.host, port: first.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return null; // an IPC path
  return { host: typeof args[1] === 'string' ? args[1] : undefined, port: first };
}

const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const target = tcpTarget(args);
  if (target === null || isLoopback(target.host)) return realConnect.apply(this, args);
  const what = `connect ${target.host}:${target.port}`;
  report(what);
  process.nextTick(() => this.destroy(refusal('ECONNREFUSED', what)));
  return this;
};

// --- UDP ----------------------------------------------------------------------------------------

const realSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function send(msg, ...rest) {
  // send(msg[, offset, length], port[, address][, callback]): the address is the only string.
  const address = rest.find((arg) => typeof arg === 'string');
  if (address === undefined || isLoopback(address)) return realSend.call(this, msg, ...rest);
  report(`UDP send to ${address}`);
  const callback = rest[rest.length - 1];
  const err = refusal('ECONNREFUSED', `UDP send to ${address}`);
  process.nextTick(() => (typeof callback === 'function' ? callback(err) : this.emit('error', err)));
};

const realUdpConnect = dgram.Socket.prototype.connect;
dgram.Socket.prototype.connect = function connect(port, address, ...rest) {
  if (typeof address !== 'string' || isLoopback(address)) return realUdpConnect.call(this, port, address, ...rest);
  report(`UDP connect ${address}:${port}`);
  const callback = rest[rest.length - 1];
  const err = refusal('ECONNREFUSED', `UDP connect ${address}:${port}`);
  process.nextTick(() => (typeof callback === 'function' ? callback(err) : this.emit('error', err)));
};
