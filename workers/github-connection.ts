// How a worker reaches GitHub from the `release.github` section: a token from the environment
// variable it names, or a GitHub App installation (private key from an env var or a file).
// Errors name the config field and the variable, never a secret.
import { readFileSync } from 'node:fs';
import { type GithubConnectionOptions } from '../clients/github.js';
import { type LoadedConfig, resolveConfigPath } from '../config/load.js';
import { type ReleaseConfig } from '../config/release.js';

type GithubSection = NonNullable<ReleaseConfig['github']>;

/** The credentials part of GithubConnectionOptions, or a message saying what is missing. */
export function githubCredentials(
  github: GithubSection,
  env: Record<string, string | undefined>,
  loaded: Pick<LoadedConfig, 'baseDir'>,
  installationRepo: string | undefined,
): Pick<GithubConnectionOptions, 'token' | 'app'> | { missing: string } {
  const app = github.app;
  if (!app) {
    const token = env[github.tokenEnv];
    return token ? { token } : { missing: `set the environment variable ${github.tokenEnv} (release.github.tokenEnv) for the worker` };
  }
  let privateKey: string | undefined;
  if (app.privateKeyEnv) {
    privateKey = env[app.privateKeyEnv];
    if (!privateKey) return { missing: `set the environment variable ${app.privateKeyEnv} (release.github.app.privateKeyEnv) to the App's private key` };
  } else if (app.privateKeyFile) {
    const path = resolveConfigPath(loaded, app.privateKeyFile);
    try {
      privateKey = readFileSync(path, 'utf8');
    } catch {
      return { missing: `release.github.app.privateKeyFile: cannot read ${path}` };
    }
  }
  if (!privateKey?.includes('PRIVATE KEY')) return { missing: 'release.github.app: the private key is not a PEM private key' };
  if (!app.installationId && !installationRepo) return { missing: 'release.github.app.installationId: set it, or give a repository a github: name to look the installation up from' };
  return { app: { appId: app.appId, privateKey: privateKey.replace(/\\n/g, '\n'), installationId: app.installationId, installationRepo } };
}
