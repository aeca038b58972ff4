import { connect } from 'node:net';
import { engineCall, EngineUnavailable, engineWideCall } from './engine-calls';

describe('engineCall', () => {
  it('gives what the call answers in time', async () => {
    await expect(engineCall('listing containers', 1_000, () => Promise.resolve(42))).resolves.toBe(42);
  });

  it('aborts a call past its bound, as an EngineUnavailable naming it', async () => {
    let aborted = false;
    const hangs = (signal: AbortSignal) =>
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => {
          aborted = true;
          reject(new Error('aborted by the signal'));
        }),
      );
    const error = await engineCall('inspecting container abc', 50, hangs).catch((e: unknown) => e);
    expect(aborted).toBe(true);
    expect(error).toBeInstanceOf(EngineUnavailable);
    expect(error).toMatchObject({ retriable: true, message: 'the container engine did not answer within 0.05s (inspecting container abc)' });
  });

  it('takes a socket that is not there for an engine that cannot be reached', async () => {
    const missing = () =>
      new Promise<never>((_, reject) => {
        const socket = connect('/nonexistent/medic-test/docker.sock');
        socket.on('error', reject);
      });
    const error = await engineCall('ping', 1_000, missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnavailable);
    expect((error as Error).message).toMatch(/^the container engine could not be reached \(ping\): connect ENOENT/);
  });

  it("passes the engine's own answers on as they are", async () => {
    const notFound = Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 });
    await expect(engineCall('inspecting container abc', 1_000, () => Promise.reject(notFound))).rejects.toBe(notFound);
  });
});

describe('engineWideCall', () => {
  it("takes the engine failing a listing (5xx) for an engine that cannot answer, naming the call and the engine's words", async () => {
    const failing = Object.assign(new Error('(HTTP code 500) server error - database is locked\nmore detail'), { statusCode: 500 });
    const error = await engineWideCall('listing containers', 1_000, () => Promise.reject(failing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnavailable);
    expect(error).toMatchObject({ retriable: true, message: 'the container engine failed listing containers (HTTP 500): (HTTP code 500) server error - database is locked' });
  });

  it('passes the answers below 500 on as they are, and gives what the call answers', async () => {
    const refused = Object.assign(new Error('(HTTP code 400) bad parameter'), { statusCode: 400 });
    await expect(engineWideCall('listing containers', 1_000, () => Promise.reject(refused))).rejects.toBe(refused);
    await expect(engineWideCall('listing containers', 1_000, () => Promise.resolve([]))).resolves.toEqual([]);
  });
});
