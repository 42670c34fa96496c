export {
  BUILTIN_METRICS,
  type ChildSample,
  createResourceMonitor,
  DEFAULT_THRESHOLDS,
  type GaugeDefinition,
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
