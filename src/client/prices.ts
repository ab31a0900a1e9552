import type { Model } from './types.js';

/**
 * The credits a task of this model costs for this input, as Settle will hold them: a flat price, or the first rule
 * whose `when` fields all equal the input's (the last rule, without `when`, otherwise). Show it before submitting.
 */
export function priceFor(model: Pick<Model, 'price'>, input: Record<string, unknown>): number {
  if (typeof model.price === 'number') return model.price;
  const rule = model.price.find((r) => Object.entries(r.when ?? {}).every(([field, value]) => input[field] === value));
  return (rule ?? model.price[model.price.length - 1]!).credits;
}
