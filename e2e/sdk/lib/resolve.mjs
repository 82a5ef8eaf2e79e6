// Resolves one host name to a fixed address for this Node process, as an
// /etc/hosts line would, without touching the machine's files. The https
// suite serves the emulator as https://tenant.tenantless.test on port 443
// because @auth0/nextjs-auth0 refuses localhost, IP addresses and ports in its
// domain; no DNS server knows that name (.test is reserved, RFC 6761 §6.2).
//
// Node's net module looks dns.lookup up on the dns module at each connection
// (fetch included), so replacing it here reaches every client in the process.
import dns from 'node:dns';
import net from 'node:net';

export function mapHost(name, address) {
  const family = net.isIP(address);
  if (!family) throw new Error(`mapHost: ${address} is not an IP address`);
  const host = name.toLowerCase();
  const lookup = dns.lookup;
  dns.lookup = function mappedLookup(hostname, options, callback) {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    } else if (typeof options === 'number') {
      options = { family: options };
    }
    if (String(hostname).toLowerCase() !== host) return lookup.call(this, hostname, options, callback);
    if (options?.all) {
      process.nextTick(callback, null, [{ address, family }]);
    } else {
      process.nextTick(callback, null, address, family);
    }
    return undefined;
  };
}
