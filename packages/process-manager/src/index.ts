export { ProcessError, type ProcessErrorCode } from './errors.js';
export {
  createProcessManager,
  type ProcessManager,
  type ProcessManagerEvents,
  type ProcessManagerOptions,
  type ProcessManagerStats,
} from './manager.js';
export {
  type ChildEvents,
  type ChildOptions,
  type ExitInfo,
  ManagedChild,
  type StopOptions,
} from './spawn/child.js';
export {
  DEFAULT_ALLOWED_COMMANDS,
  DEFAULT_INHERITED_ENV,
  LIMITS,
  type ProcessSpec,
  type ResolvedSpec,
  resolveSpec,
} from './spawn/policy.js';
export { DEFAULT_RESTART_POLICY, type RestartPolicy, restartDelay } from './supervise/restart-policy.js';
export {
  Service,
  type ServiceEvents,
  type ServiceSpec,
  type ServiceState,
} from './supervise/service.js';
export { listProcesses, type ProcessEntry } from './system/processes.js';
