export { DockerEngine, ExecTimeout, MODULE_LABEL, type ContainerEngine, type ContainerInfo, type ExecResult } from './container-engine';
