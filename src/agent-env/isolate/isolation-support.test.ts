import { describe, expect, it } from 'vitest';
import { explainNamespaceFailure, locateIsolationTools, type SystemFacts } from './isolation-support.js';

const HOST: SystemFacts = {
  platform: 'linux',
  unprivilegedUsernsClone: undefined,
  maxUserNamespaces: '63000',
  apparmorRestrictsUserns: undefined,
  inContainer: false,
};

describe('explainNamespaceFailure', () => {
  it('names the kernel setting and the command that fixes it', () => {
    const cases: Array<[Partial<SystemFacts>, string]> = [
      [{ unprivilegedUsernsClone: '0' }, 'sudo sysctl -w kernel.unprivileged_userns_clone=1'],
      [{ maxUserNamespaces: '0' }, 'sudo sysctl -w user.max_user_namespaces=15000'],
      [{ apparmorRestrictsUserns: '1' }, 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'],
    ];
    for (const [facts, fix] of cases) {
      const err = explainNamespaceFailure('unshare: unshare failed: Operation not permitted\n', {
        ...HOST,
        ...facts,
      });
      expect(err.fix).toContain(fix);
      expect(err.message).toMatch(/^cannot isolate: .+; fix: .+$/);
      expect(err.message).not.toContain('\n');
      expect(err.exitCode).toBe(126);
    }
  });

  it('recognises an old unshare, a masked /proc and a container', () => {
    expect(explainNamespaceFailure("unshare: unrecognized option '--map-user=0'", HOST).fix).toContain(
      '2.38',
    );
    const proc = explainNamespaceFailure('unshare: mount /proc failed: Operation not permitted', {
      ...HOST,
      inContainer: true,
    });
    expect(proc.reason).toContain('/proc');
    expect(proc.fix).toContain('seccomp=unconfined');
    const other = explainNamespaceFailure('unshare: unshare failed: Operation not permitted', HOST);
    expect(other.reason).toBe(
      'cannot create the namespaces (unshare: unshare failed: Operation not permitted)',
    );
  });
});

describe('locateIsolationTools', () => {
  it('refuses other systems with a pointer to the alternatives', () => {
    expect(() => locateIsolationTools('/usr/bin', 'darwin')).toThrow(
      /needs Linux namespaces.*docs\/isolation\.md/,
    );
  });

  it('finds the tools in sbin even when PATH lacks it, or names the package to install', () => {
    let tools: ReturnType<typeof locateIsolationTools> | undefined;
    try {
      tools = locateIsolationTools('/nonexistent');
    } catch (err) {
      expect((err as Error).message).toMatch(/is not installed; fix: install (util-linux|iproute2|mount)/);
      return;
    }
    expect(tools.ip).toMatch(/^\/(usr\/)?s?bin\/ip$/);
  });
});
