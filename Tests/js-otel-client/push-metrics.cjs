#!/usr/bin/env node
// A foreign OTLP client for the companion tests (Tests/FunctionApp.Tests/Companion/ForeignClient): the OpenTelemetry
// JS metrics SDK records a fixed scenario and pushes it as OTLP/HTTP protobuf, flushing twice (after each phase).
//
//   node push-metrics.cjs <ingest-url> <service.instance.id> [factor] [cumulative|delta]
//
// Every recorded value (or, for histograms, every observation count) is multiplied by the factor, so two instances
// with factors 1 and 2 must add up to 3 times the factor-1 values on the companion. Exits 0 only when every export
// succeeded; 2 on bad arguments, 1 on a failed export. Installed by test.sh (node_modules in artifacts/js-otel-client,
// found through NODE_PATH).
'use strict';

const { diag, DiagConsoleLogger, DiagLogLevel } = require('@opentelemetry/api');
const { MeterProvider, PeriodicExportingMetricReader, AggregationType, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');

function usage(message) {
  process.stderr.write(`${message}\nusage: push-metrics.cjs <ingest-url> <service.instance.id> [factor] [cumulative|delta]\n`);
  process.exit(2);
}

async function main() {
  const [url, instanceId, factorText = '1', temporality = 'cumulative'] = process.argv.slice(2);
  if (!url || !instanceId) {
    usage('missing arguments');
  }

  const factor = Number.parseInt(factorText, 10);
  if (!Number.isInteger(factor) || factor < 1) {
    usage(`bad factor ${factorText}`);
  }

  if (temporality !== 'cumulative' && temporality !== 'delta') {
    usage(`bad temporality ${temporality}`);
  }

  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

  const inner = new OTLPMetricExporter({
    url,
    timeoutMillis: 10000,
    temporalityPreference: temporality === 'delta' ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE,
  });

  // Counts the exports and keeps the failures: the reader reports them only to the global error handler.
  const failures = [];
  let exports = 0;
  const exporter = {
    export(metrics, resultCallback) {
      inner.export(metrics, (result) => {
        exports++;
        if (result.code !== 0) {
          failures.push(result.error ? String(result.error) : `export result code ${result.code}`);
        }

        resultCallback(result);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    selectAggregationTemporality: (instrumentType) => inner.selectAggregationTemporality(instrumentType),
    selectAggregation: (instrumentType) => inner.selectAggregation(instrumentType),
  };

  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'js-otel-client',
      'service.version': '1.2.3',
      'service.instance.id': instanceId,
      'host.name': `host-of-${instanceId}`,
    }),
    views: [
      {
        instrumentName: 'request.duration',
        aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [0.1, 0.5, 1, 2.5] } },
      },
    ],
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3600000, exportTimeoutMillis: 10000 })],
  });

  const meter = provider.getMeter('js-otel-client', '1.0.0');
  const jobs = meter.createCounter('jobs.processed', { description: 'Jobs processed', unit: '{job}' });
  const cpu = meter.createCounter('cpu.time', { description: 'CPU time', unit: 's' });
  const depth = meter.createUpDownCounter('queue.depth', { description: 'Items waiting', unit: '{item}' });
  const connections = meter.createGauge('connections.open', { description: 'Open connections', unit: '{connection}' });
  const duration = meter.createHistogram('request.duration', { description: 'Request duration', unit: 's' });
  const size = meter.createHistogram('payload.size', {
    description: 'Payload size',
    unit: 'By',
    advice: { explicitBucketBoundaries: [100, 1000] },
  });
  const route = { 'http.route': '/a', 'http.response.status_code': 200 };
  const repeat = (observe) => {
    for (let i = 0; i < factor; i++) {
      observe();
    }
  };

  // Phase 1, then a push.
  jobs.add(2 * factor, { queue: 'high' });
  jobs.add(factor, { queue: 'low' });
  cpu.add(0.5 * factor, { mode: 'user' });
  depth.add(5 * factor, { queue: 'high' });
  depth.add(-2 * factor, { queue: 'high' });
  connections.record(4 * factor);
  repeat(() => [0.25, 0.5, 0.75].forEach((v) => duration.record(v, route)));
  repeat(() => [64, 512].forEach((v) => size.record(v)));
  await provider.forceFlush();

  // Phase 2, then the last push on shutdown.
  jobs.add(3 * factor, { queue: 'high' });
  cpu.add(0.25 * factor, { mode: 'user' });
  depth.add(factor, { queue: 'high' });
  connections.record(3 * factor);
  repeat(() => [4, 0.125].forEach((v) => duration.record(v, route)));
  repeat(() => size.record(2048));
  await provider.forceFlush();
  await provider.shutdown();

  if (failures.length > 0 || exports < 2) {
    process.stderr.write(`exports: ${exports}, failures: ${failures.join('; ')}\n`);
    process.exit(1);
  }

  process.stdout.write(`pushed ${exports} exports for ${instanceId} (factor ${factor}, ${temporality})\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
