/**
 * A cheap, env-parameterised CI check for the consent path (ci-info reads process.env once at load
 * and ships a vendor table: fine for the resource detector, not for the resolver, which takes its env
 * as input and must not load npm packages). Same generic rule as ci-info plus the vendors whose only
 * marker is their own variable.
 */
const GENERIC = ['CI', 'BUILD_ID', 'BUILD_NUMBER', 'CI_APP_ID', 'CI_BUILD_ID', 'CI_BUILD_NUMBER', 'CI_NAME',
  'CONTINUOUS_INTEGRATION', 'RUN_ID'];
const VENDOR = ['GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'CIRCLECI', 'TRAVIS', 'JENKINS_URL', 'TF_BUILD',
  'CODEBUILD_BUILD_ID', 'BITBUCKET_BUILD_NUMBER', 'TEAMCITY_VERSION', 'DRONE', 'SEMAPHORE', 'APPVEYOR',
  'NETLIFY', 'VERCEL', 'NOW_BUILDER', 'HEROKU_TEST_RUN_ID', 'BUDDY', 'WOODPECKER_CI', 'CIRRUS_CI'];

/** True when running under CI. `CI=false` (or 0/no/off) switches the check off, as in ci-info. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI?.trim().toLowerCase();
  if (ci === 'false' || ci === '0' || ci === 'no' || ci === 'off') return false;
  for (const name of GENERIC) if (env[name]) return true;
  for (const name of VENDOR) if (env[name]) return true;
  return false;
}
