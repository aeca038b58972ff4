import type { ContainerInspectInfo } from 'dockerode';
import { locate } from '@medic/containers';
import { createOptionsOf, specOf } from './container-snapshot';

const inspected = {
  Id: 'c1',
  Name: '/web',
  Config: {
    Image: 'medic/target:latest',
    Cmd: ['httpd', '-f'],
    Entrypoint: null,
    Env: ['A=1'],
    Labels: { 'medic.module': 'web' },
    WorkingDir: '',
    User: 'www',
    ExposedPorts: { '8080/tcp': {} },
    Healthcheck: { Test: ['CMD', 'true'], Interval: 1_000_000_000 },
  },
  HostConfig: {
    Binds: ['/srv/www:/www:ro'],
    NetworkMode: 'backend',
    RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
    PortBindings: { '8080/tcp': [{ HostIp: '', HostPort: '18080' }] },
  },
  Mounts: [
    { Type: 'bind', Source: '/srv/www', Destination: '/www', RW: false },
    { Type: 'volume', Name: 'cache', Source: '/var/lib/volumes/cache', Destination: '/cache', RW: true },
    { Type: 'tmpfs', Source: '', Destination: '/tmp', RW: true },
  ],
  NetworkSettings: { Networks: { backend: {}, metrics: {} } },
} as unknown as ContainerInspectInfo;

describe('a container spec, kept to make a gone container again', () => {
  it('keeps what makes the container and nothing of one run of it', () => {
    const spec = specOf(inspected);
    expect(spec).toMatchObject({
      name: 'web',
      image: 'medic/target:latest',
      cmd: ['httpd', '-f'],
      entrypoint: null,
      env: ['A=1'],
      workingDir: null,
      user: 'www',
      exposedPorts: ['8080/tcp'],
      binds: ['/srv/www:/www:ro'],
      // The bind is not repeated as a mount; tmpfs belongs to one run.
      mounts: [{ type: 'volume', source: 'cache', target: '/cache', readOnly: false }],
      networkMode: 'backend',
      networks: ['metrics'],
      restartPolicy: { name: 'on-failure', maximumRetryCount: 2 },
      portBindings: { '8080/tcp': [{ hostIp: '', hostPort: '18080' }] },
    });
    // Stored as JSON and read back, it makes the same create call.
    expect(createOptionsOf(JSON.parse(JSON.stringify(spec)) as typeof spec)).toEqual(createOptionsOf(spec));
  });

  it('makes the create call under the old name, with its mounts, network mode and restart policy', () => {
    const options = createOptionsOf(specOf(inspected));
    expect(options).toMatchObject({
      name: 'web',
      Image: 'medic/target:latest',
      Cmd: ['httpd', '-f'],
      Labels: { 'medic.module': 'web' },
      ExposedPorts: { '8080/tcp': {} },
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1_000_000_000 },
      HostConfig: {
        Binds: ['/srv/www:/www:ro'],
        Mounts: [{ Type: 'volume', Source: 'cache', Target: '/cache', ReadOnly: false }],
        NetworkMode: 'backend',
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
        PortBindings: { '8080/tcp': [{ HostIp: '', HostPort: '18080' }] },
      },
    });
    expect(options).not.toHaveProperty('Entrypoint');
    expect(options).not.toHaveProperty('WorkingDir');
  });
});

describe("finding a module's container", () => {
  const listed: Parameters<typeof locate>[0] = [
    { Id: 'a', Names: ['/web-old'], Labels: { 'medic.module': 'web' } },
    { Id: 'b', Names: ['/web'], Labels: {} },
    { Id: 'c', Names: ['/web-2'], Labels: null },
  ];
  const module = (name: string, instance: string | null = null) => ({ module: name, instance });

  it('prefers the medic.module label, then the exact name, never a part of a name', () => {
    expect(locate(listed, module('web'))).toBe('a');
    expect(locate(listed.slice(1), module('web'))).toBe('b');
    expect(locate(listed.slice(2), module('web'))).toBeNull();
    expect(locate(listed, module('web-2'))).toBe('c');
  });

  describe('of a module with several instances', () => {
    const replicas: Parameters<typeof locate>[0] = [
      { Id: 'aaaaaaaaaaaa1111', Names: ['/web-1'], Labels: { 'medic.module': 'web' }, State: 'running' },
      { Id: 'bbbbbbbbbbbb2222', Names: ['/web-2'], Labels: { 'medic.module': 'web' }, State: 'exited' },
      { Id: 'cccccccccccc3333', Names: ['/pod-7f3'], Labels: { 'medic.module': 'web', 'medic.instance': 'web-3' }, State: 'running' },
      { Id: 'dddddddddddd4444', Names: ['/web-4'], Labels: { 'medic.module': 'api' }, State: 'exited' },
    ];

    it('finds the instance Smith named: by its medic.instance label, its name or its id', () => {
      expect(locate(replicas, module('web', 'web-3'))).toBe('cccccccccccc3333');
      expect(locate(replicas, module('web', 'web-1'))).toBe('aaaaaaaaaaaa1111');
      expect(locate(replicas, module('web', 'aaaaaaaaaaaa'))).toBe('aaaaaaaaaaaa1111');
      expect(locate(replicas, module('web', 'aaaaaaaaaaaa1111'))).toBe('aaaaaaaaaaaa1111');
    });

    it('does not take a short id for a prefix, nor an instance of another module', () => {
      expect(locate(replicas, module('web', 'aaaa'))).toBe('bbbbbbbbbbbb2222');
      expect(locate(replicas, module('web', 'web-4'))).toBe('bbbbbbbbbbbb2222');
    });

    it('without the instance among them, takes the one that is down (the one killed), else the first', () => {
      expect(locate(replicas, module('web', 'i-0abc'))).toBe('bbbbbbbbbbbb2222');
      expect(locate(replicas, module('web'))).toBe('bbbbbbbbbbbb2222');
      const allUp = replicas.map((c) => ({ ...c, State: 'running' }));
      expect(locate(allUp, module('web', 'i-0abc'))).toBe('aaaaaaaaaaaa1111');
    });

    it('gives a module with one container that container, whatever instance Smith named', () => {
      expect(locate(replicas, module('api', 'inst-001'))).toBe('dddddddddddd4444');
      expect(locate([{ Id: 'e', Names: ['/nginx-test'], Labels: {}, State: 'running' }], module('nginx-test', 'inst-001'))).toBe('e');
    });
  });
});
