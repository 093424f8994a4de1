import test from 'node:test';
import assert from 'node:assert/strict';
import {
  betterMode, formatMeanStd, formatMetric, formatMetricDelta, formatValue, headlineMetric, isBetter, lowerIsBetter, metricInfo, metricTitle, METRICS_BY_KIND,
} from '../../../src/shared/metrics/catalogue';

test('every metric a task kind reports is in the catalogue with a label, a unit and a direction', () => {
  for (const names of Object.values(METRICS_BY_KIND)) {
    for (const n of names) {
      const m = metricInfo(n);
      // Uncatalogued names come back with label = short = the name and no unit.
      assert.notEqual(m.unit === '' && m.label === n && m.short === n, true, `${n} is catalogued`);
      assert.equal(m.percent, !m.lowerIsBetter, `${n}: fractions are percentages, errors are not`);
    }
  }
  assert.deepEqual(metricInfo('macroF1'), { name: 'macroF1', label: 'macro-F1', short: 'mF1', unit: '%', lowerIsBetter: false, percent: true });
  assert.equal(metricInfo('rmse').unit, 'target');
  // A language model's perplexity: lower is better, a plain number (not a percentage).
  assert.deepEqual(metricInfo('lm.perplexity'), { name: 'perplexity', label: 'perplexity', short: 'ppl', unit: '', lowerIsBetter: true, percent: false });
  assert.equal(betterMode('lm.perplexity'), 'min');
  assert.equal(isBetter('perplexity', 60, 70), true);
  assert.equal(formatMetric('perplexity', 64.31), '64.3');
  assert.equal(formatMetric('perplexity', 212.6), '213');
  assert.equal(headlineMetric('language-model', { perplexity: 64.3, tokenAccuracy: 0.27 })?.name, 'perplexity');
});

test('lower is better for errors and losses, also as dotted monitor paths', () => {
  for (const n of ['rmse', 'mae', 'loss', 'validLoss', 'mass.rmse', 'valid.mass.mae', 'species.loss']) assert.equal(lowerIsBetter(n), true, n);
  for (const n of ['accuracy', 'f1', 'slots.f1', 'overall', 'tokenAccuracy']) assert.equal(lowerIsBetter(n), false, n);
  assert.equal(betterMode('mass.rmse'), 'min');
  assert.equal(betterMode('species.accuracy'), 'max');
  assert.equal(isBetter('rmse', 1, 2), true);
  assert.equal(isBetter('accuracy', 0.5, 0.6), false);
});

test('headline metric per task kind, first with a value', () => {
  assert.equal(headlineMetric('tagging', { f1: 0.9, tokenAccuracy: 0.95 })?.name, 'f1');
  assert.equal(headlineMetric('tagging', { f1: NaN, tokenAccuracy: 0.95 })?.name, 'tokenAccuracy');
  assert.equal(headlineMetric('regression', { rmse: 3, mae: 2 })?.label, 'RMSE');
  assert.equal(headlineMetric(undefined, { macroF1: 0.5, accuracy: 0.7 })?.name, 'accuracy');
  assert.equal(headlineMetric('classification', undefined), undefined);
});

test('number formats: percentages with one decimal, values with 3 significant digits, a dash when missing', () => {
  assert.equal(formatMetric('accuracy', 0.9314), '93.1');
  assert.equal(formatMetric('slots.f1', 0.5), '50.0');
  assert.equal(formatMetric('mae', 0.0412), '0.0412');
  assert.equal(formatMetric('rmse', 12.345), '12.3');
  assert.equal(formatMetric('rmse', 312.456), '312');
  assert.equal(formatMetric('loss', 0), '0');
  assert.equal(formatMetric('accuracy', undefined), '–');
  assert.equal(formatMetric('rmse', NaN), '–');
  assert.equal(formatValue(-0.5), '-0.500');
  assert.equal(formatMetricDelta('accuracy', 0.5, 0.5), '(±0.0)');
  assert.equal(formatMetricDelta('accuracy', 0.931, 0.925), '(+0.6)');
  assert.equal(formatMetricDelta('rmse', 0.0412, 0.0452), '(-0.0040)');
});

test('titles use the labels', () => {
  assert.equal(metricTitle('_overall', 'accuracy'), 'overall accuracy');
  assert.equal(metricTitle('slots', 'macroF1'), 'slots macro-F1');
});

test('mean ± std over seeds: a single value shows no spread (n = 1), none shows a dash', () => {
  assert.equal(formatMeanStd('accuracy', { mean: 0.9743, std: 0.0041, n: 3 }), '97.4 ± 0.4');
  assert.equal(formatMeanStd('accuracy', { mean: 0.9743, std: 0, n: 1 }), '97.4 (n = 1)');
  assert.equal(formatMeanStd('rmse', { mean: 12.345, std: 0.5, n: 2 }), '12.3 ± 0.500');
  assert.equal(formatMeanStd('accuracy', { mean: NaN, std: NaN, n: 0 }), '–');
});
