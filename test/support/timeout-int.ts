// Integration tests wait on real Kafka and Postgres.
jest.setTimeout(120_000);
