import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, test } from 'vitest';
import { ProviderError, kindOfHttpStatus, parseRetryAfter, toFailure } from '../activities/errors.ts';
import { redact, registerSecret } from '../activities/secrets.ts';
import { NON_RETRYABLE } from '../workflows/failure-types.ts';

describe('error mapping', () => {
  test('HTTP statuses map to retryable or not', () => {
    expect([401, 403, 404, 400, 409, 429, 500, 503].map(kindOfHttpStatus)).toEqual([
      'permission',
      'permission',
      'not_found',
      'invalid_config',
      'conflict',
      'rate_limited',
      'unavailable',
      'unavailable',
    ]);
  });

  test('permission errors are non-retryable failures that keep the message and the attempt', () => {
    const f = toFailure(new ProviderError('permission', 'services/blog: missing run.services.setIamPolicy'), 2);
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f).toMatchObject({
      type: 'PermissionDenied',
      nonRetryable: true,
      message: 'services/blog: missing run.services.setIamPolicy',
      details: [{ attempt: 2 }],
    });
    expect(NON_RETRYABLE).toContain(f.type);
  });

  test('429 carries Retry-After as the next retry delay', () => {
    const f = toFailure(new ProviderError('rate_limited', 'slow down', parseRetryAfter('7')), 1);
    expect(f).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 7000 });
    expect(parseRetryAfter(new Date(61_000).toUTCString(), 1000)).toBe(60_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  test('secrets never leave in a message', () => {
    registerSecret('cf-token-0123456789');
    const f = toFailure(
      new Error('request with cf-token-0123456789 failed; Authorization: Bearer abc.def.ghi; ?api_key=xyz'),
      1,
    );
    expect(f.message).not.toMatch(/0123456789|abc\.def|xyz/);
    expect(redact('token=hunter2&x=1')).toBe('token=[redacted]&x=1');
  });
});
