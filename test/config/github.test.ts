import { ConfigError, formatProblem } from '../../config/errors.js';
import { parseConfig } from '../../config/load.js';
import { githubCredentials } from '../../workers/github-connection.js';

const RELEASE = 'release:\n  repos:\n    - { name: atmosphere, url: /srv/atmosphere.git, target: release-branch, github: cyverse/atmosphere }\n';

function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('release.github.app', () => {
  it('accepts an App with its key in an environment variable, installation looked up', () => {
    const config = parseConfig(`${RELEASE}  github:\n    app: { appId: 12345, privateKeyEnv: STRATUS_APP_KEY }\n`);
    expect(config.release?.github?.app).toEqual({ appId: 12345, privateKeyEnv: 'STRATUS_APP_KEY' });
  });

  it('names the dotted path of a bad or missing field', () => {
    expect(problemsOf(`${RELEASE}  github:\n    app: { appId: 12345 }\n`)).toEqual(['release.github.app.privateKeyEnv: github.app needs exactly one of privateKeyEnv or privateKeyFile']);
    expect(problemsOf(`${RELEASE}  github:\n    app: { appId: "abc", privateKeyFile: key.pem }\n`)).toEqual(["release.github.app.appId: github.app.appId must be the App's numeric id, got a string"]);
    expect(problemsOf(`${RELEASE}  github:\n    app: { appId: 1, privateKeyEnv: "not a name" }\n`)).toEqual(['release.github.app.privateKeyEnv: github.app.privateKeyEnv must be an environment variable name']);
  });

  it('the worker says which variable or file is missing, never the key', () => {
    const github = { tokenEnv: 'GITHUB_TOKEN', apiUrl: 'https://api.github.com', app: { appId: 1, privateKeyEnv: 'APP_KEY' } };
    expect(githubCredentials(github, {}, { baseDir: '/tmp' }, 'cyverse/atmosphere')).toEqual({ missing: "set the environment variable APP_KEY (release.github.app.privateKeyEnv) to the App's private key" });
    expect(githubCredentials(github, { APP_KEY: 'not a key' }, { baseDir: '/tmp' }, 'cyverse/atmosphere')).toEqual({ missing: 'release.github.app: the private key is not a PEM private key' });
    const file = { ...github, app: { appId: 1, privateKeyFile: 'missing.pem' } };
    expect(githubCredentials(file, {}, { baseDir: '/nonexistent' }, 'cyverse/atmosphere')).toEqual({ missing: 'release.github.app.privateKeyFile: cannot read /nonexistent/missing.pem' });
    const pem = '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----';
    expect(githubCredentials(github, { APP_KEY: pem }, { baseDir: '/tmp' }, 'cyverse/atmosphere')).toEqual({
      app: { appId: 1, privateKey: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----', installationId: undefined, installationRepo: 'cyverse/atmosphere' },
    });
    expect(githubCredentials({ tokenEnv: 'GH', apiUrl: 'x' }, {}, { baseDir: '/tmp' }, undefined)).toEqual({ missing: 'set the environment variable GH (release.github.tokenEnv) for the worker' });
  });
});
