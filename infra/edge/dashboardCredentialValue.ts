import { createHash, randomBytes } from 'node:crypto';

/** Key of the dashboard credential in the distribution's key value store. */
export const DASHBOARD_CREDENTIAL_KEY = 'dashboard-credential';

/** Bytes of random salt, 16 = 128 bits: no two deployments share a digest. */
const SALT_BYTES = 16;

/**
 * The value to put under {@link DASHBOARD_CREDENTIAL_KEY} so that `checkDashboardCredential.js`
 * lets `user` in with `password`: `<salt hex>:<SHA-256 hex of "<salt>:<base64(user:password)>">`,
 * the base64 being what a browser sends in `Authorization: Basic ...`.
 *
 * @throws {Error} when `user` is empty or holds a colon, which Basic authentication cannot carry
 * @example
 * dashboardCredentialValue('dashboard', 'a long random password'); // '3f1c…:9a0b…'
 */
export function dashboardCredentialValue(
  user: string,
  password: string,
  salt: string = randomBytes(SALT_BYTES).toString('hex'),
): string {
  if (user === '' || user.includes(':')) {
    throw new Error(`user must be non-empty and hold no colon (given ${JSON.stringify(user)})`);
  }
  if (password === '') throw new Error('password must not be empty');
  if (!/^[0-9a-f]+$/.test(salt)) throw new Error(`salt must be hex digits (given ${salt})`);
  const token = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return `${salt}:${createHash('sha256').update(`${salt}:${token}`).digest('hex')}`;
}
