import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The path of a binary on PATH, or null. */
export async function which(binary: string): Promise<string | null> {
  try {
    const { stdout } = await run('sh', ['-c', `command -v ${binary}`]);
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/**
 * Finds a tool the tests need, installing its Debian package when it is missing and we may (root with
 * apt-get); otherwise throws with install instructions. A check that needs the tool is never skipped.
 */
export async function ensureDebianTool(options: {
  binary: string;
  debianPackage: string;
  /** Places to look besides PATH (sbin directories are not on every user's PATH). */
  candidates?: readonly string[];
  log?: (line: string) => void;
}): Promise<string> {
  const find = async () =>
    (await which(options.binary)) ?? options.candidates?.find((candidate) => existsSync(candidate)) ?? null;
  const found = await find();
  if (found) return found;
  if (process.getuid?.() !== 0 || !(await which('apt-get'))) {
    throw new Error(
      `${options.binary} is not installed and cannot be installed automatically (needs root and apt-get). ` +
        `Install it (Debian/Ubuntu: apt-get install -y ${options.debianPackage}; macOS: brew install ` +
        `${options.debianPackage}) and rerun.`,
    );
  }
  options.log?.(
    `${options.binary} not found: installing it from Debian packages (apt-get install -y ${options.debianPackage})`,
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, maxBuffer: 16 * 1024 * 1024 });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', options.debianPackage], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const installed = await find();
  if (!installed)
    throw new Error(`apt-get installed ${options.debianPackage} but ${options.binary} is not on PATH`);
  return installed;
}
