/**
 * kafkajs 2.2.4 schedules a timer with a negative delay on Node ≥ 23, which Node
 * reports as TimeoutNegativeWarning (harmless: the timer fires at once). That one
 * is dropped; every other process warning is still printed.
 */
export function dropKnownWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });
}
