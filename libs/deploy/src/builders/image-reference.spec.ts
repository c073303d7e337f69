import { computeTag, isLoopbackRegistry, registryHost, repositoryPath } from './image-reference';

describe('image references', () => {
  it('finds the registry host the way Docker does', () => {
    expect(registryHost('127.0.0.1:5000/team/app')).toBe('127.0.0.1:5000');
    expect(registryHost('registry.example.com/team/app')).toBe('registry.example.com');
    expect(registryHost('localhost/app')).toBe('localhost');
    expect(registryHost('team/app')).toBe('docker.io');
    expect(registryHost('app')).toBe('docker.io');
    expect(repositoryPath('127.0.0.1:5000/team/app')).toBe('team/app');
  });

  it('treats only loopback registries as insecure by default', () => {
    expect(isLoopbackRegistry('127.0.0.1:5000/team/app')).toBe(true);
    expect(isLoopbackRegistry('127.5.6.7/team/app')).toBe(true);
    expect(isLoopbackRegistry('localhost:5000/app')).toBe(true);
    expect(isLoopbackRegistry('registry.example.com/app')).toBe(false);
    expect(isLoopbackRegistry('10.0.0.1:5000/app')).toBe(false);
  });

  it('tags <branch>.<build>, else the git sha, else says what is missing', () => {
    expect(computeTag(undefined, { branch: 'main', buildNumber: '42', gitSha: 'abc1234' })).toEqual({ tag: 'main.42', missing: [] });
    expect(computeTag(undefined, { branch: 'feature/JIRA-1 quotes', buildNumber: '7' }).tag).toBe('feature-JIRA-1-quotes.7');
    expect(computeTag(undefined, { branch: 'main', gitSha: 'abc1234def' }).tag).toBe('abc1234def');
    expect(computeTag(undefined, {})).toEqual({ missing: ['sha'] });
    expect(computeTag('{branch}-{shortSha}', { branch: 'main', gitSha: '4f2a9c1e0d6b8a7f3e2d' }).tag).toBe('main-4f2a9c1e0d6b');
    expect(computeTag('{branch}.{build}', { branch: 'main' })).toEqual({ missing: ['build'] });
    expect(computeTag('{branch}', { branch: '.hidden' }).tag).toBe('hidden');
    expect(computeTag('{branch}', { branch: 'x'.repeat(300) }).tag).toHaveLength(128);
  });
});
