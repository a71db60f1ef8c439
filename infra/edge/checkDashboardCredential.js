// CloudFront Function (cloudfront-js-2.0, viewer request) in front of every path of the
// deployed dashboard: the page, its scripts and the /api/... query routes. It answers
// HTTP Basic authentication against one credential held in the distribution's key value
// store, as "<salt hex>:<SHA-256 hex of salt:base64(user:password)>", so the store never
// holds the password. Until an operator puts that key, every request is refused.
// Written for the CloudFront runtime (no exports, no Node modules but 'crypto' and
// 'cloudfront'); test/infra/checkDashboardCredential.test.ts runs it in Node with fakes.
import cf from 'cloudfront';
// biome-ignore lint/style/useNodejsImportProtocol: the CloudFront runtime knows the module as 'crypto' only.
import crypto from 'crypto';

/** Key of the credential in the key value store; docs/deploy.md shows how to set it. */
const CREDENTIAL_KEY = 'dashboard-credential';
const BASIC_PREFIX = 'Basic ';
const kvs = cf.kvs();

function challenge() {
  return {
    statusCode: 401,
    statusDescription: 'Unauthorized',
    headers: {
      'www-authenticate': { value: 'Basic realm="streamfold dashboard", charset="UTF-8"' },
      'cache-control': { value: 'no-store' },
    },
  };
}

/** The stored "<salt>:<digest>", or undefined while no credential is set. */
async function storedCredential() {
  try {
    return await kvs.get(CREDENTIAL_KEY);
  } catch (error) {
    // get() rejects when the key does not exist: nobody may enter until it is set.
    console.log(`no ${CREDENTIAL_KEY} in the key value store: ${error}`);
    return undefined;
  }
}

// biome-ignore lint/correctness/noUnusedVariables: CloudFront calls the top-level `handler`.
async function handler(event) {
  const request = event.request;
  const header = request.headers.authorization;
  // The scheme is case-insensitive (RFC 9110, 11.1): "basic" and "BASIC" are Basic too.
  const value = header === undefined ? '' : header.value.trim();
  if (value.slice(0, BASIC_PREFIX.length).toLowerCase() !== BASIC_PREFIX.toLowerCase()) {
    return challenge();
  }
  const given = value.slice(BASIC_PREFIX.length).trim();
  const stored = await storedCredential();
  if (stored === undefined) return challenge();
  const separator = stored.indexOf(':');
  if (separator <= 0) {
    console.log(`${CREDENTIAL_KEY} is not "<salt>:<digest>"`);
    return challenge();
  }
  const salt = stored.slice(0, separator);
  const expected = stored.slice(separator + 1);
  // Both sides are SHA-256 digests, so the comparison's timing says nothing about the password.
  const digest = crypto.createHash('sha256').update(`${salt}:${given}`).digest('hex');
  if (digest !== expected) return challenge();
  // The password goes no further than the edge: not to S3, not to the query function.
  delete request.headers.authorization;
  return request;
}
