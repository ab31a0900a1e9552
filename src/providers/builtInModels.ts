const MINUTE = 60_000;

/** KIE's market models take the prompt and these fields (as KIE documents them for createTask's `input`). */
const prompt = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, description: 'what to generate' });
const soraFields = {
  prompt: prompt(10_000),
  aspect_ratio: { type: 'string', enum: ['portrait', 'landscape'], default: 'landscape' },
  n_frames: { type: 'string', enum: ['10', '15'], default: '10', description: 'the video length in seconds' },
  remove_watermark: { type: 'boolean', description: 'remove the watermark from the video' },
};
const imageUrls = {
  type: 'array',
  minItems: 1,
  maxItems: 1,
  items: { type: 'string', pattern: '^https?://', maxLength: 2048 },
  description: 'the first frame: a publicly reachable JPEG, PNG or WEBP URL',
};
const objectOf = (properties: Record<string, unknown>, required: string[]) => ({ type: 'object', properties, required, additionalProperties: false });

/** Sora 2: a 15 s video costs half as much again as a 10 s one. */
const soraPrice = [{ when: { n_frames: '15' }, credits: 45 }, { credits: 30 }];

/**
 * The KIE market models, priced in credits in the shape of KIE's own prices: Sora 2 by length (n_frames), Sora 2 Pro by
 * length and quality (size), nano-banana flat. The price rule without `when` is the price of the defaults.
 */
export const KIE_MODELS = [
  {
    id: 'sora-2-text-to-video',
    provider: 'kie',
    type: 'video',
    price: soraPrice,
    input: objectOf(soraFields, ['prompt']),
    timeoutMs: 20 * MINUTE,
    maxAttempts: 2,
  },
  {
    id: 'sora-2-image-to-video',
    provider: 'kie',
    type: 'video',
    price: soraPrice,
    input: objectOf({ ...soraFields, image_urls: imageUrls }, ['prompt', 'image_urls']),
    timeoutMs: 20 * MINUTE,
    maxAttempts: 2,
  },
  {
    id: 'sora-2-pro-text-to-video',
    provider: 'kie',
    type: 'video',
    price: [
      { when: { n_frames: '15', size: 'high' }, credits: 300 },
      { when: { size: 'high' }, credits: 200 },
      { when: { n_frames: '15' }, credits: 135 },
      { credits: 90 },
    ],
    input: objectOf({ ...soraFields, size: { type: 'string', enum: ['standard', 'high'], default: 'standard', description: 'the quality' } }, ['prompt']),
    timeoutMs: 30 * MINUTE,
    maxAttempts: 2,
  },
  {
    id: 'google/nano-banana',
    provider: 'kie',
    type: 'image',
    price: 4,
    input: objectOf(
      {
        prompt: prompt(5_000),
        output_format: { type: 'string', enum: ['png', 'jpeg'], default: 'png' },
        image_size: { type: 'string', enum: ['1:1', '9:16', '16:9', '3:4', '4:3', '3:2', '2:3', '5:4', '4:5', '21:9', 'auto'], default: '1:1' },
      },
      ['prompt'],
    ),
    timeoutMs: 5 * MINUTE,
    maxAttempts: 3,
  },
];

/** Replicate official models (run by name at their latest version); listed after KIE's so the defaults stay KIE's. */
export const REPLICATE_MODELS = [
  { id: 'minimax/video-01', provider: 'replicate', type: 'video', price: 40, timeoutMs: 20 * MINUTE, maxAttempts: 2 },
  { id: 'black-forest-labs/flux-schnell', provider: 'replicate', type: 'image', price: 2, timeoutMs: 5 * MINUTE, maxAttempts: 3 },
];
