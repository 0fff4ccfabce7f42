import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate, ValidationCode, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { isPinnedImage, type Problem } from './compose.js';

/** dockerfile-utils' optional rules, all raised to errors: a warning nobody reads is not a check. */
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

const lineOf = (instruction: Instruction) => `line ${instruction.getRange().start.line + 1}`;

/**
 * Lints one Dockerfile: dockerfile-utils' validator (syntax, flags, arguments of every instruction, the
 * rules above), then this project's rules, which the validator does not have:
 * - every base image is pinned by a versioned tag and a digest (a later stage may name an earlier one);
 * - the final stage runs as a named user other than root;
 * - `apt-get install` takes `--no-install-recommends` and the same RUN removes the package lists;
 * - pnpm is installed at exactly the version the root package.json pins (`packageManager`).
 */
export function lintDockerfile(content: string, pinnedPnpm: string): Problem[] {
  const problems: Problem[] = validate(content, STRICT).map((diagnostic) => ({
    rule: `dockerfile-utils/${ValidationCode[Number(diagnostic.code)] ?? String(diagnostic.code)}`,
    where: `line ${diagnostic.range.start.line + 1}`,
    message: typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value,
  }));

  const dockerfile = DockerfileParser.parse(content);
  const stages = new Set<string>();
  for (const from of dockerfile.getFROMs()) {
    const image = from.getImage() ?? '';
    if (!stages.has(image) && !isPinnedImage(image)) {
      problems.push({
        rule: 'from-pinned',
        where: lineOf(from),
        message: `"${image}" is not pinned: use name:<version tag>@sha256:<digest>`,
      });
    }
    const stage = from.getBuildStage();
    if (stage) stages.add(stage);
  }

  const instructions = dockerfile.getInstructions();
  const lastFrom = instructions.map((instruction) => instruction.getKeyword()).lastIndexOf('FROM');
  const finalUsers = instructions
    .slice(lastFrom + 1)
    .filter((instruction) => instruction.getKeyword() === 'USER');
  const finalUser = finalUsers.at(-1)?.getArgumentsContent()?.split(':')[0]?.trim();
  if (finalUser === undefined || finalUser === 'root' || finalUser === '0') {
    problems.push({
      rule: 'non-root',
      where: finalUsers.at(-1) ? lineOf(finalUsers.at(-1) as Instruction) : 'final stage',
      message: 'the final stage must switch to a non-root USER',
    });
  }

  for (const run of instructions.filter((instruction) => instruction.getKeyword() === 'RUN')) {
    const command = run.getArgumentsContent() ?? '';
    if (/\bapt-get\s+(?:-\S+\s+)*install\b/.test(command)) {
      if (!command.includes('--no-install-recommends')) {
        problems.push({
          rule: 'apt-no-recommends',
          where: lineOf(run),
          message: 'apt-get install without --no-install-recommends',
        });
      }
      if (!/rm\s+-rf?\s+\/var\/lib\/apt\/lists/.test(command)) {
        problems.push({
          rule: 'apt-lists',
          where: lineOf(run),
          message: 'remove /var/lib/apt/lists/* in the same RUN',
        });
      }
    }
    if (/\bnpm\s+(?:i|install)\b[^&;|]*\bpnpm(?!@)\b/.test(command)) {
      problems.push({
        rule: 'pnpm-version',
        where: lineOf(run),
        message: `installs pnpm without a version; pin pnpm@${pinnedPnpm}`,
      });
    }
    for (const match of command.matchAll(/\bpnpm@(\S+)/g)) {
      if (match[1] !== pinnedPnpm) {
        problems.push({
          rule: 'pnpm-version',
          where: lineOf(run),
          message: `installs pnpm@${String(match[1])}; package.json pins pnpm@${pinnedPnpm}`,
        });
      }
    }
  }
  return problems;
}
