import { describe, expect, it } from 'vitest';
import { isTransientPredictionFailure, outputUrls, predictionToStatus } from '../../src/providers/replicate/prediction.js';

const prediction = (fields: Record<string, unknown>) => ({ id: 'p1', status: 'processing', ...fields });

describe('Replicate prediction to ProviderStatus', () => {
  it('maps the running statuses, with progress read from tqdm-style logs when there is one', () => {
    expect(predictionToStatus(prediction({ status: 'starting' }))).toEqual({ state: 'running', progress: 0 });
    expect(predictionToStatus(prediction({ logs: 'step 1\n 12%|█   \n 45%|████▌     |' }))).toEqual({ state: 'running', progress: 45 });
    expect(predictionToStatus(prediction({ logs: null }))).toEqual({ state: 'running', progress: 50 });
    expect(predictionToStatus(prediction({ status: 'queued_somewhere_new' }))).toMatchObject({ state: 'running' });
  });

  it('collects output URLs from a string, an array, or an object of them', () => {
    expect(outputUrls('https://replicate.delivery/a/output.mp4')).toEqual(['https://replicate.delivery/a/output.mp4']);
    expect(outputUrls(['https://r.d/1.png', 'https://r.d/2.png', 'caption'])).toEqual(['https://r.d/1.png', 'https://r.d/2.png']);
    expect(outputUrls({ video: 'https://r.d/v.mp4', frames: ['https://r.d/f.png'], seed: 3 })).toEqual([
      'https://r.d/v.mp4',
      'https://r.d/f.png',
    ]);
    expect(outputUrls(null)).toEqual([]);
  });

  it('turns a success without any output URL into a permanent failure', () => {
    expect(predictionToStatus(prediction({ status: 'succeeded', output: 'just text' }))).toMatchObject({
      state: 'fail',
      code: 'no_result',
      transient: false,
    });
  });

  it('classifies failures: provider trouble transient, policy and input problems permanent', () => {
    const fail = (error: unknown) => predictionToStatus(prediction({ status: 'failed', error }));
    expect(fail('E6716 Timeout starting prediction')).toMatchObject({ code: 'E6716', transient: true });
    expect(fail('Prediction interrupted; please retry (code: PA)')).toMatchObject({ transient: true });
    expect(fail('E1001 Model out of memory: please try again with a smaller input')).toMatchObject({ code: 'E1001', transient: false });
    expect(fail('NSFW content detected. Try running it again, or try a different prompt.')).toMatchObject({ transient: false });
    expect(fail('CUDA error: please retry; also flagged as unsafe content')).toMatchObject({ transient: false });
    expect(fail('ValueError: width must be a multiple of 64')).toMatchObject({ transient: false });
    expect(fail(null)).toMatchObject({ message: 'Replicate reported the prediction as failed', transient: false });
    expect(isTransientPredictionFailure(undefined, 'Internal error, try again later')).toBe(true);
  });

  it('maps canceled and aborted to the terminal aborted state', () => {
    expect(predictionToStatus(prediction({ status: 'canceled' }))).toEqual({ state: 'aborted', message: 'Replicate canceled the prediction' });
    expect(predictionToStatus(prediction({ status: 'aborted', error: 'deadline exceeded' }))).toEqual({
      state: 'aborted',
      message: 'deadline exceeded',
    });
  });
});
