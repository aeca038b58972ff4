export { containerEngineEndpoint, DEFAULT_ENGINE_SOCKET, DockerEngine, ExecTimeout, locate, MODULE_LABEL, type ContainerEngine, type ContainerInfo, type ExecResult } from './container-engine';
export { ENGINE_CALLS_AT_ONCE, mapAtMost } from './at-most';
export { ENGINE_CALL_TIMEOUT_MS, engineCall, EngineUnavailable } from './engine-calls';
