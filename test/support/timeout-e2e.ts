// Whole-system tests start services and wait on them.
jest.setTimeout(300_000);
