export { DockerEngine, ExecTimeout, locate, MODULE_LABEL, type ContainerEngine, type ContainerInfo, type ExecResult } from './container-engine';
