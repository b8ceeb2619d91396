import { describe, expect, it } from 'vitest';
import { clientIdentity } from '../../src/adapters/http/client-address.js';

describe('clientIdentity (whom wrong delete tokens are counted against)', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:10.0.0.255', '10.0.0.255'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:0:0:9', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4::/64'],
  ])('%s → %s', (address, identity) => {
    expect(clientIdentity(address)).toBe(identity);
  });

  it.each(['', 'unknown', '300.1.1.1', '1:2:3', 'example.com'])('%j is no identity', (address) => {
    expect(clientIdentity(address)).toBeUndefined();
  });
});
