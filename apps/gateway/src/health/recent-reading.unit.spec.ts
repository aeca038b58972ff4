import { RecentReading } from './recent-reading';

describe('RecentReading', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 1_000;
  });

  it('takes a reading once for the callers within its age, and again after it', async () => {
    let taken = 0;
    const reading = new RecentReading(2_000, () => Promise.resolve(++taken), clock);
    expect(await reading.get()).toBe(1);
    now += 1_999;
    expect(await reading.get()).toBe(1);
    now += 1;
    expect(await reading.get()).toBe(2);
  });

  it('shares a reading being taken between the callers that come meanwhile', async () => {
    let taken = 0;
    let finish: (n: number) => void = () => undefined;
    const reading = new RecentReading(2_000, () => new Promise<number>((resolve) => ((taken += 1), (finish = resolve))), clock);
    const first = reading.get();
    const second = reading.get();
    finish(7);
    expect(await Promise.all([first, second])).toEqual([7, 7]);
    expect(taken).toBe(1);
  });

  it('keeps neither a failed nor an empty reading: the next caller asks again', async () => {
    const answers: (() => Promise<number | null>)[] = [() => Promise.reject(new Error('broker away')), () => Promise.resolve(null), () => Promise.resolve(3)];
    let asked = 0;
    const reading = new RecentReading(2_000, () => answers[asked++]!(), clock);
    expect(await reading.get()).toBeNull();
    expect(await reading.get()).toBeNull();
    expect(await reading.get()).toBe(3);
    expect(asked).toBe(3);
  });
});
