// Other runtimes and tools, unmodified, under `tameflare run` against the spawned daemon: curl, wget,
// Ruby, PHP's curl extension and Java's two HTTP clients. Each is skipped, saying why, where its
// runtime is not installed (.ci/run installs them on Debian).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import { CLIENTS_DIR, describeSuite, type Probe, repoCheck, underRun } from './compat-probes.js';
import { DUMMY, REPO_DELETE_DENIED } from './compat-world.js';

const REPO = 'https://api.github.com/repos/octo/hello';

function installed(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function requires(ctx: TestContext, command: string, args: string[], hint: string): void {
  if (!installed(command, args)) ctx.skip(`${command} is not installed (${hint})`);
}

let javaClasses: string | undefined;

/** JavaClients.java compiled once (outside `run`: only the probe runs as the agent). */
function java(client: string): Probe['run'] {
  return (world, ctx) => {
    requires(ctx, 'java', ['-version'], 'apt-get install default-jre-headless');
    requires(ctx, 'javac', ['-version'], 'the probe is compiled here: apt-get install default-jdk-headless');
    if (!javaClasses) {
      const out = join(world.work, 'java-classes');
      execFileSync('javac', ['-d', out, join(CLIENTS_DIR, 'JavaClients.java')], { stdio: 'pipe' });
      javaClasses = out;
    }
    return underRun(world, ['java', '-cp', javaClasses, 'JavaClients', client]);
  };
}

/** A repository with one commit, to push (made outside `run`: only the push runs as the agent). */
function gitRepo(work: string): string {
  const dir = join(work, 'push-me');
  if (!existsSync(dir)) {
    const git = (args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
    mkdirSync(dir);
    git(['init', '-q']);
    git([
      '-c',
      'user.email=bot@example.com',
      '-c',
      'user.name=bot',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'x',
    ]);
  }
  return dir;
}

const probes: Record<string, Probe> = {
  curl: {
    run: (world) =>
      underRun(world, ['curl', '-sS', '-H', `Authorization: Bearer ${DUMMY}`, `${REPO}?via=curl`]),
    routed: repoCheck('curl'),
    denied: {
      run: (world) =>
        underRun(world, [
          'curl',
          '-sS',
          '--fail-with-body',
          '-X',
          'DELETE',
          '-H',
          `Authorization: Bearer ${DUMMY}`,
          REPO,
        ]),
      shows: /"detail":"permission #\d+ \(agent compat-bot, connector github, github\.repo\.delete\) → deny"/,
    },
  },
  git: {
    run: (world) => underRun(world, ['git', 'ls-remote', 'https://github.com/octo/hello.git']),
    routed: {
      connector: 'github',
      host: 'github.com',
      path: '/octo/hello.git/info/refs?service=git-upload-pack',
      action: 'github.git.fetch',
    },
    // Refused on the ref advertisement (a fetch of octo/private) and on the push's POST (to main).
    denied: {
      run: (world) =>
        underRun(world, [
          'sh',
          '-c',
          'git ls-remote https://github.com/octo/private.git; git -C "$1" push https://github.com/octo/hello.git HEAD:refs/heads/main',
          'sh',
          gitRepo(world.work),
        ]),
      shows:
        /^remote: Denied by TameFlare: github\.git\.fetch \(policy_denied\)[\s\S]*! \[remote rejected\] HEAD -> main \(Denied by TameFlare: github\.git\.push \(policy_denied\)\)/m,
    },
  },
  wget: {
    run: (world, ctx) => {
      requires(ctx, 'wget', ['--version'], 'apt-get install wget');
      return underRun(world, [
        'wget',
        '-q',
        '-O',
        '-',
        '--header',
        `Authorization: Bearer ${DUMMY}`,
        `${REPO}?via=wget`,
      ]);
    },
    stdout: /"upstream":"api\.github\.com"/,
    routed: repoCheck('wget'),
    denied: {
      run: (world, ctx) => {
        requires(ctx, 'wget', ['--version'], 'apt-get install wget');
        return underRun(world, [
          'wget',
          '-nv',
          '-O',
          '-',
          '--method=DELETE',
          '--header',
          `Authorization: Bearer ${DUMMY}`,
          REPO,
        ]);
      },
      shows: REPO_DELETE_DENIED,
    },
  },
  'ruby-net-http': {
    run: (world, ctx) => {
      requires(ctx, 'ruby', ['--version'], 'apt-get install ruby');
      const script = `u = URI(ARGV[0]); r = Net::HTTP.start(u.host, u.port, use_ssl: true) { |h| h.get(u.request_uri, "Authorization" => "Bearer #{ENV["COMPAT_DUMMY"]}") }; puts r.code; exit(r.code == "200" ? 0 : 1)`;
      return underRun(world, ['ruby', '-rnet/http', '-e', script, `${REPO}?via=ruby`]);
    },
    stdout: /^200$/m,
    routed: repoCheck('ruby'),
    denied: {
      run: (world, ctx) => {
        requires(ctx, 'ruby', ['--version'], 'apt-get install ruby');
        const script = `u = URI(ARGV[0]); r = Net::HTTP.start(u.host, u.port, use_ssl: true) { |h| h.delete(u.request_uri, "Authorization" => "Bearer #{ENV["COMPAT_DUMMY"]}") }; r.value; puts r.code`;
        return underRun(world, ['ruby', '-rnet/http', '-e', script, REPO]);
      },
      shows: REPO_DELETE_DENIED,
    },
  },
  'php-curl': {
    run: (world, ctx) => {
      requires(
        ctx,
        'php',
        ['-r', 'exit(function_exists("curl_init") ? 0 : 1);'],
        'apt-get install php-cli php-curl',
      );
      const script = `$c = curl_init($argv[1]); curl_setopt($c, CURLOPT_HTTPHEADER, ["Authorization: Bearer " . getenv("COMPAT_DUMMY")]); curl_setopt($c, CURLOPT_RETURNTRANSFER, true); $b = curl_exec($c); if ($b === false) { fwrite(STDERR, curl_error($c) . "\\n"); exit(1); } echo curl_getinfo($c, CURLINFO_HTTP_CODE), "\\n";`;
      return underRun(world, ['php', '-r', script, `${REPO}?via=php-curl`]);
    },
    stdout: /^200$/m,
    routed: repoCheck('php-curl'),
  },
  'java-urlconnection': {
    run: java('urlconnection'),
    stdout: /^200 api\.github\.com$/m,
    routed: repoCheck('java-urlconnection'),
  },
  'java-httpclient': {
    run: java('httpclient'),
    stdout: /^200 api\.github\.com$/m,
    routed: repoCheck('java-httpclient'),
  },
};

describeSuite('other', probes);
