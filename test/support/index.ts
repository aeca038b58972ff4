export { createTestDatabase, eventually, startMedic, testInfra, type HarnessOptions, type MedicUnderTest } from './medic-harness';
export { killReport, smithMessage, type KillReportWire } from './kill-reports';
export { ceTypeOf, eventsOfType, firstOfType, killEventsOf, readTopic, snapshotTables } from './log-reading';
export { freeze } from './freeze';
export { moduleContainer } from './module-containers';
export { cliEnv, MEDIC_CLI, medicCli } from './cli';
export { makeTestCertificates, type TestCertificates } from './certificates';
export { startTlsPostgres, type TlsPostgres } from './tls-postgres';
