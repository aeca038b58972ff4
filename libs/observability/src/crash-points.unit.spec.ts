describe('crashPoint', () => {
  const previous = process.env.MEDIC_CRASH_POINTS;
  let kill: jest.SpyInstance;
  let stderr: jest.SpyInstance;

  beforeEach(() => {
    kill = jest.spyOn(process, 'kill').mockImplementation(() => true);
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    kill.mockRestore();
    stderr.mockRestore();
    if (previous === undefined) delete process.env.MEDIC_CRASH_POINTS;
    else process.env.MEDIC_CRASH_POINTS = previous;
  });

  /** A fresh copy of the module, so it reads the environment as a new process would. */
  function load(points: string | undefined): (name: string) => void {
    if (points === undefined) delete process.env.MEDIC_CRASH_POINTS;
    else process.env.MEDIC_CRASH_POINTS = points;
    let fn!: (name: string) => void;
    jest.isolateModules(() => {
      fn = jest.requireActual<{ crashPoint: (name: string) => void }>('./crash-points').crashPoint;
    });
    return fn;
  }

  it('does nothing when no point is armed', () => {
    load(undefined)('executor.before-act');
    expect(kill).not.toHaveBeenCalled();
  });

  it('kills this process with SIGKILL at an armed point, and only there', () => {
    const crashPoint = load(' executor.after-act , executor.before-act');
    crashPoint('monitor.somewhere');
    expect(kill).not.toHaveBeenCalled();
    crashPoint('executor.before-act');
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGKILL');
    expect(stderr).toHaveBeenCalledWith(expect.stringContaining('crash point executor.before-act'));
  });
});
