import { describe, expect, it } from 'vitest';
import { parsePrometheusText, valueOf } from './promText.js';

// The checker the /metrics tests rely on must itself be able to fail.
describe('the Prometheus text checker', () => {
  const good = `# HELP a_total Things.
# TYPE a_total counter
a_total{path="webhook",status="completed"} 3
a_total{path="say \\"hi\\"\\n"} 1
# HELP h Latency.
# TYPE h histogram
h_bucket{le="0.5"} 1
h_bucket{le="1"} 2
h_bucket{le="+Inf"} 3
h_sum 4.5
h_count 3
`;

  it('reads a valid exposition', () => {
    const families = parsePrometheusText(good);
    expect(families.get('a_total')?.type).toBe('counter');
    expect(valueOf(families, 'a_total', { path: 'webhook', status: 'completed' })).toBe(3);
    expect(valueOf(families, 'a_total', { path: 'say "hi"\n' })).toBe(1);
    expect(valueOf(families, 'h_count')).toBe(3);
  });

  it.each([
    ['a broken label', good.replace('path="webhook"', 'path="webhook')],
    ['a bad metric name', good.replace('a_total{path="webhook"', '1a{path="webhook"')],
    ['a sample without TYPE', `${good}other 1\n`],
    ['a duplicate series', good.replace('h_sum 4.5', 'h_sum 4.5\nh_sum 4.5')],
    ['buckets that are not cumulative', good.replace('h_bucket{le="1"} 2', 'h_bucket{le="1"} 0')],
    ['+Inf bucket different from _count', good.replace('h_count 3', 'h_count 4')],
    ['no +Inf bucket', good.replace('h_bucket{le="+Inf"} 3\n', '')],
    ['a negative counter', good.replace('a_total{path="webhook",status="completed"} 3', 'a_total{path="webhook",status="completed"} -3')],
    ['a family split in two', `${good}# TYPE a_total counter\n`],
    ['a bad value', good.replace('h_sum 4.5', 'h_sum four')],
    ['no final newline', good.trimEnd()],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
