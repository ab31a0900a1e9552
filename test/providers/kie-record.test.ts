import { describe, expect, it } from 'vitest';
import { isTransientFailure, parseResultUrls, recordToStatus } from '../../src/providers/kie/record.js';
import { isTransientCode } from '../../src/providers/kie/errors.js';
import { parseRetryAfter } from '../../src/providers/failures.js';

describe('recordToStatus', () => {
  it('maps the running states, with the record progress as a percent or an estimate', () => {
    expect(recordToStatus({ state: 'waiting', failCode: '', failMsg: '' })).toEqual({ state: 'running', progress: 0 });
    expect(recordToStatus({ state: 'generating', failCode: '', failMsg: '' })).toEqual({ state: 'running', progress: 50 });
    expect(recordToStatus({ state: 'generating', progress: 42, failCode: '', failMsg: '' })).toMatchObject({ progress: 42 });
    expect(recordToStatus({ state: 'generating', progress: '0.35', failCode: '', failMsg: '' })).toMatchObject({ progress: 35 });
    expect(recordToStatus({ state: 'brand-new-state', failCode: '', failMsg: '' })).toMatchObject({ state: 'running' });
  });

  it('parses resultJson as a JSON string, and treats a success without URLs as a permanent failure', () => {
    const done = recordToStatus({
      state: 'success',
      resultJson: '{"resultUrls":["https://a/1.mp4","https://a/2.mp4"]}',
      completeTime: 1_700_000_000_000,
      failCode: '',
      failMsg: '',
    });
    expect(done).toEqual({
      state: 'success',
      resultUrls: ['https://a/1.mp4', 'https://a/2.mp4'],
      completedAt: new Date(1_700_000_000_000),
    });
    for (const resultJson of ['', '{"resultUrls":[]}', 'not json', undefined]) {
      expect(recordToStatus({ state: 'success', resultJson, failCode: '', failMsg: '' })).toMatchObject({
        state: 'fail',
        transient: false,
      });
    }
    expect(parseResultUrls({ resultUrls: ['https://x/y.png', 3] })).toEqual(['https://x/y.png']);
  });

  it('decides which failures a resubmission may cure', () => {
    expect(isTransientFailure('500', 'Internal Error')).toBe(true);
    expect(isTransientFailure('455', '')).toBe(true);
    expect(isTransientFailure(undefined, 'Request timed out, please try again later')).toBe(true);
    expect(isTransientFailure('500', 'Rejected by the content policy')).toBe(false);
    expect(isTransientFailure('400', 'NSFW content detected')).toBe(false);
    expect(isTransientFailure('422', 'image_urls is required')).toBe(false);
    expect(isTransientFailure('501', 'Generation failed')).toBe(false);
    expect(isTransientFailure(undefined, 'Something odd')).toBe(false);
  });
});

describe('KIE error codes', () => {
  it('classifies API codes', () => {
    expect([429, 455, 500, 502, 503].every(isTransientCode)).toBe(true);
    expect([400, 404, 422, 501, 505].some(isTransientCode)).toBe(false);
    expect([401, 402, 429, 433, 455].every(isTransientCode)).toBe(true); // the operator's account: kept alive, alerted
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
