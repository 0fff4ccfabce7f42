import { parse } from 'yaml';
import { isPinnedImage, type Json, type Problem } from './compose.js';

type JsonObject = { [key: string]: Json };
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `owner/repo[/path]@<40 hex> # vX.Y.Z`: the commit is what runs, the comment is for people and Dependabot. */
const PINNED_USES =
  /^\s*(?:-\s+)?uses:\s*[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}\s+#\s*v\d+(?:\.\d+)*\s*$/;
/** Tools that run checks; a run step that calls one outside .ci/run would make CI differ from .ci/run. */
const CHECK_TOOLS = /\b(?:npm|pnpm|npx|node|vitest|eslint|prettier|tsc|tsx)\b/;

/**
 * Checks `.github/workflows/ci.yml` against `.ci/run`:
 * - every `uses:` names a full commit SHA with its release tag in a comment;
 * - every job's service container image is pinned by tag and digest;
 * - each job runs `bash .ci/run` as its last step, and no other step runs a check tool, so GitHub runs
 *   exactly what `.ci/run` runs; the steps before it only provision the machine (checkout, Node, apt).
 */
export function checkWorkflow(source: string): Problem[] {
  const problems: Problem[] = [];
  source.split('\n').forEach((line, index) => {
    if (/^\s*(?:-\s+)?uses:/.test(line) && !PINNED_USES.test(line)) {
      problems.push({
        rule: 'action-pinned',
        where: `line ${index + 1}`,
        message: `"${line.trim()}" is not pinned to a 40-hex commit SHA with its tag in a comment`,
      });
    }
  });

  const workflow: unknown = parse(source);
  const jobs = isObject(workflow) && isObject(workflow['jobs']) ? Object.entries(workflow['jobs']) : [];
  if (jobs.length === 0) problems.push({ rule: 'ci-run', where: 'jobs', message: 'the workflow has no job' });
  for (const [name, job] of jobs) {
    if (!isObject(job)) continue;
    const servicesOfJob = isObject(job['services']) ? Object.entries(job['services']) : [];
    for (const [serviceName, service] of servicesOfJob) {
      const image = isObject(service) ? service['image'] : undefined;
      if (typeof image !== 'string' || !isPinnedImage(image)) {
        problems.push({
          rule: 'image-pinned',
          where: `jobs.${name}.services.${serviceName}`,
          message: `"${String(image)}" is not pinned: use name:<version tag>@sha256:<digest>`,
        });
      }
    }
    const steps = Array.isArray(job['steps']) ? job['steps'].filter(isObject) : [];
    const runs = steps
      .map((step, index) => ({ index, run: step['run'] }))
      .filter((step): step is { index: number; run: string } => typeof step.run === 'string');
    const last = steps.at(-1);
    if (!last || typeof last['run'] !== 'string' || last['run'].trim() !== 'bash .ci/run') {
      problems.push({
        rule: 'ci-run',
        where: `jobs.${name}`,
        message: 'the last step must be `run: bash .ci/run`',
      });
    }
    for (const step of runs.slice(0, -1)) {
      const tool = CHECK_TOOLS.exec(step.run);
      if (tool) {
        problems.push({
          rule: 'ci-run',
          where: `jobs.${name}.steps[${step.index}]`,
          message: `runs ${tool[0]} outside .ci/run; put it in .ci/run so both CIs run it`,
        });
      }
    }
  }
  return problems;
}
