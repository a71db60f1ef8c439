import { describe, expect, it } from 'vitest';
import { type HostAllowance, isAllowedHost } from '../../../local/http/isAllowedHost.js';

const LOOPBACK: HostAllowance = { host: '127.0.0.1', port: 4570 };

describe('isAllowedHost', () => {
  it.each([
    ['127.0.0.1:4570', LOOPBACK],
    ['localhost:4570', LOOPBACK],
    ['LOCALHOST:4570', LOOPBACK],
    ['[::1]:4570', LOOPBACK],
    ['devbox:4570', { host: 'devbox', port: 4570 }],
    ['[::1]:4570', { host: '::1', port: 4570 }],
    ['192.168.1.5:4570', { host: '0.0.0.0', port: 4570, localAddress: '::ffff:192.168.1.5' }],
    ['[fe80::1]:4570', { host: '::', port: 4570, localAddress: 'fe80::1' }],
    ['localhost', { host: '127.0.0.1', port: 80 }],
    ['devbox.example', { ...LOOPBACK, allowHosts: ['devbox.example'] }],
    ['devbox.example:14570', { ...LOOPBACK, allowHosts: ['devbox.example'] }],
    ['devbox.example:14570', { ...LOOPBACK, allowHosts: ['devbox.example:14570'] }],
  ])('allows Host %s for %o', (host, allowance) => {
    expect(isAllowedHost(host, allowance)).toBe(true);
  });

  it.each([
    [undefined, LOOPBACK],
    ['', LOOPBACK],
    ['evil.example:4570', LOOPBACK],
    ['evil.example', LOOPBACK],
    ['localhost:4571', LOOPBACK],
    ['localhost', LOOPBACK],
    ['127.0.0.1.evil.example:4570', LOOPBACK],
    ['localhost.evil.example:4570', LOOPBACK],
    ['user@localhost:4570', LOOPBACK],
    ['localhost:4570/path', LOOPBACK],
    ['0.0.0.0:4570', LOOPBACK],
    ['devbox.example:4570', { ...LOOPBACK, allowHosts: ['devbox.example:14570'] }],
    ['sub.devbox.example:4570', { ...LOOPBACK, allowHosts: ['devbox.example'] }],
  ])('refuses Host %s for %o', (host, allowance) => {
    expect(isAllowedHost(host, allowance)).toBe(false);
  });
});
