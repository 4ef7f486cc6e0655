import { describe, expect, it } from 'vitest';
import { histogramOf, parsePrometheusText, valueOf } from './prometheus-text.js';

const TEXT = `# HELP target_info Target metadata
# TYPE target_info gauge
target_info{service_name="aob"} 1
# HELP aob_x_total What \\\\ x counts
# UNIT aob_x_total {x}
# TYPE aob_x_total counter
aob_x_total{a="1",b="with \\"quotes\\", a \\\\ and\\na newline"} 3
aob_x_total{a="2",} 4.5
# TYPE aob_d_seconds histogram
aob_d_seconds_count{type="t"} 3
aob_d_seconds_sum{type="t"} 0.75
aob_d_seconds_bucket{type="t",le="0.1"} 1
aob_d_seconds_bucket{type="t",le="1"} 3
aob_d_seconds_bucket{type="t",le="+Inf"} 3
aob_d_seconds_bucket{type="u",le="0.1"} 0
aob_d_seconds_bucket{type="u",le="+Inf"} 1
aob_d_seconds_sum{type="u"} 2
aob_d_seconds_count{type="u"} 1
`;

describe('parsePrometheusText', () => {
  it('reads families, escaped label values, and histograms whose count comes before the buckets', () => {
    const m = parsePrometheusText(TEXT);
    expect(m.get('aob_x_total')).toMatchObject({ type: 'counter', help: 'What \\ x counts' });
    expect(valueOf(m, 'aob_x_total', { a: '1', b: 'with "quotes", a \\ and\na newline' })).toBe(3);
    expect(valueOf(m, 'aob_x_total', { a: '2' })).toBe(4.5);
    expect(histogramOf(m, 'aob_d_seconds', { type: 't' })).toEqual({
      count: 3,
      sum: 0.75,
      buckets: [
        [0.1, 1],
        [1, 3],
        [Infinity, 3],
      ],
    });
    expect(histogramOf(m, 'aob_d_seconds', { type: 'u' })?.count).toBe(1);
    expect(histogramOf(m, 'aob_d_seconds', { type: 'v' })).toBeUndefined();
  });

  it('refuses what is malformed or undeclared', () => {
    expect(() => parsePrometheusText('x 1\n')).toThrow(/no declared family/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n')).toThrow(/twice/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx{a="1} 1\n')).toThrow(/line 2/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx{1a="1"} 1\n')).toThrow(/bad label/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx one\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# TYPE x widget\n')).toThrow(/unknown type/);
    const broken = parsePrometheusText(
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    );
    expect(() => histogramOf(broken, 'h', {})).toThrow(/not cumulative/);
  });
});
