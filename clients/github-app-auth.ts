// GitHub App authentication for the Octokit client: JWT for the App's own routes, installation
// tokens (minted and refreshed by @octokit/auth-app) for everything else. The installation is
// the configured id, or looked up once from a repository (`GET /repos/{o}/{r}/installation`).
import { createAppAuth } from '@octokit/auth-app';
import { AuthError } from './github-errors.js';
import { parseRepoSlug } from './github-names.js';

/** How stratus authenticates as a GitHub App installation. The private key is never logged. */
export interface GithubAppCredentials {
  appId: number;
  /** PEM of the App's private key. */
  privateKey: string;
  /** The installation to act as; when left out it is looked up from `installationRepo`. */
  installationId?: number;
  /** "owner/name" of a repository the App is installed on (for the lookup). */
  installationRepo?: string;
}

type AppAuth = ReturnType<typeof createAppAuth>;
type Hook = AppAuth['hook'];
type RequestFn = Parameters<Hook>[0];

interface StrategyOptions extends GithubAppCredentials {
  request: RequestFn;
  baseUrl: string;
}

const APP_ROUTE = /^\/app(?:\/|$)|^\/repos\/[^/]+\/[^/]+\/installation$/;

/** An Octokit `authStrategy` acting as an App installation. */
export function githubAppStrategy(options: StrategyOptions): AppAuth {
  const base = { appId: options.appId, privateKey: options.privateKey, request: options.request, log: { warn: (): void => undefined } };
  const appAuth = createAppAuth(base);
  let installation: Promise<AppAuth> | undefined;
  const installed = (): Promise<AppAuth> => {
    installation ??= (async () => {
      const id = options.installationId ?? (await lookup());
      return createAppAuth({ ...base, installationId: id });
    })();
    void installation.catch(() => (installation = undefined));
    return installation;
  };
  const lookup = async (): Promise<number> => {
    if (!options.installationRepo) throw new AuthError('GitHub', options.baseUrl, `GitHub App ${options.appId}: no installationId and no repository to look it up from`);
    const { owner, repo } = parseRepoSlug(options.installationRepo);
    try {
      const res = await options.request('GET /repos/{owner}/{repo}/installation', { owner, repo });
      return (res.data as { id: number }).id;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 404) throw new AuthError('GitHub', options.baseUrl, `GitHub App ${options.appId} is not installed on ${options.installationRepo} (install it there, or set github.app.installationId)`);
      throw err;
    }
  };
  const hook: Hook = async (request, route, parameters) => {
    const endpoint = request.endpoint.merge(route as string, parameters);
    const path = (endpoint.url ?? '').replace(request.endpoint.DEFAULTS.baseUrl, '').split('?')[0];
    if (APP_ROUTE.test(path)) return appAuth.hook(request, route, parameters);
    return (await installed()).hook(request, route, parameters);
  };
  const auth = (async (params: Parameters<AppAuth>[0]) => (await installed())(params)) as AppAuth;
  return Object.assign(auth, { hook });
}
