export { containerEngineEndpoint, DEFAULT_ENGINE_SOCKET, DockerEngine, ExecTimeout, INSTANCE_LABEL, inspectOrUnreadable, locate, MODULE_LABEL, targetKey, type ContainerEngine, type ContainerInfo, type ExecResult, type ModuleTarget, unreadable, UnreadableContainer } from './container-engine';
export { ENGINE_CALLS_AT_ONCE, mapAtMost } from './at-most';
export { ENGINE_CALL_TIMEOUT_MS, engineCall, engineWideCall, EngineUnavailable } from './engine-calls';
