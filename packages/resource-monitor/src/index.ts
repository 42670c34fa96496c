export { ResourceMonitorError, type ResourceMonitorErrorCode } from './errors.js';
export {
  BUILTIN_METRICS,
  type ChildSample,
  type CounterMetric,
  createResourceMonitor,
  DEFAULT_THRESHOLDS,
  DURATION_BUCKETS_SECONDS,
  type GaugeDefinition,
  type HistogramMetric,
  type MetricDefinition,
  type ResourceMonitor,
  type ResourceMonitorEvents,
  type ResourceMonitorOptions,
  type ResourceSnapshot,
} from './monitor.js';
export {
  type Alert,
  ThresholdEvaluator,
  type ThresholdRule,
  type ThresholdTransition,
} from './thresholds.js';
