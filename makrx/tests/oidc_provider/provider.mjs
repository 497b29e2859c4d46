// A small, Keycloak-like OpenID Connect provider for MakrX tests.
//
// Built on the certified `oidc-provider` package. Everything is in memory and
// configured through environment variables (see README.md). It prints
// `READY http://127.0.0.1:<port>` on stdout once it listens.
//
// Every page it serves works without JavaScript (plain HTML forms), so tests can
// drive it with python-requests as well as with a real browser.

import crypto from 'node:crypto';
import fs from 'node:fs';

import Provider, { errors } from 'oidc-provider';

const CLIENT_ID = 'makrx-web';
const API_RESOURCE = 'urn:makrx:api';
const API_SCOPE = 'openid email profile roles';

function env(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    if (fallback === undefined) {
      console.error(`oidc test provider: environment variable ${name} is required`);
      process.exit(2);
    }
    return fallback;
  }
  return value;
}

function list(value) {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function readJson(path, what) {
  try {
    return JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (err) {
    console.error(`oidc test provider: cannot read ${what} from ${path}: ${err.message}`);
    process.exit(2);
  }
}

const port = Number.parseInt(env('OIDC_PORT'), 10);
const host = '127.0.0.1';
const issuer = `http://${host}:${port}`;
const jwks = readJson(env('OIDC_JWKS_FILE'), 'the JWKS');
const clientSecret = env('OIDC_CLIENT_SECRET');
const redirectUris = list(env('OIDC_REDIRECT_URIS'));
const postLogoutRedirectUris = list(env('OIDC_POST_LOGOUT_REDIRECT_URIS', ''));
const apiAudience = env('OIDC_API_AUDIENCE', 'makrcave-api');
// RFC 8252 section 7.3 for loopback redirect URIs: when on, a registered
// `http://127.0.0.1/path` (any port) also matches `http://127.0.0.1:<any port>/path`,
// so a test web server on a dynamic port needs no provider restart.
const loopbackAnyPort = ['1', 'true', 'yes', 'on'].includes(env('OIDC_LOOPBACK_ANY_PORT', '').toLowerCase());
const usersFile = env('OIDC_USERS_FILE');

// --- users ---------------------------------------------------------------

// The users file is read again whenever it changes (like an administrator
// editing a user in Keycloak), so a test can change someone's roles between two
// logins. Replace the file atomically (write a temporary file, then rename).
let usersByLogin = {};
let usersBySub = new Map();
let usersStamp = '';

function indexUsers(byLogin) {
  const bySub = new Map();
  for (const [login, user] of Object.entries(byLogin)) {
    if (!user.sub) throw new Error(`user ${login} has no "sub"`);
    bySub.set(String(user.sub), { login, ...user });
  }
  return bySub;
}

function loadUsers({ fatal = false } = {}) {
  let stamp;
  try {
    const stat = fs.statSync(usersFile);
    stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    if (stamp === usersStamp) return;
    const byLogin = JSON.parse(fs.readFileSync(usersFile, 'utf8'));
    usersBySub = indexUsers(byLogin);
    usersByLogin = byLogin;
    usersStamp = stamp;
  } catch (err) {
    console.error(`oidc test provider: cannot read the users from ${usersFile}: ${err.message}`);
    if (fatal) process.exit(2);
  }
}

loadUsers({ fatal: true });

function userBySub(sub) {
  loadUsers();
  return usersBySub.get(String(sub));
}

// The login field accepts the login name (key of the users file), and also the
// user's preferred_username or email, as Keycloak does.
function findUserForLogin(login) {
  if (!login) return undefined;
  loadUsers();
  if (Object.hasOwn(usersByLogin, login)) {
    return usersBySub.get(String(usersByLogin[login].sub));
  }
  const lower = login.toLowerCase();
  for (const user of usersBySub.values()) {
    if (user.preferred_username === login || (user.email && user.email.toLowerCase() === lower)) {
      return user;
    }
  }
  return undefined;
}

function passwordMatches(user, password) {
  const a = Buffer.from(String(user.password ?? ''));
  const b = Buffer.from(String(password ?? ''));
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function userClaims(user) {
  const name = [user.given_name, user.family_name].filter(Boolean).join(' ') || user.name;
  return {
    sub: String(user.sub),
    email: user.email,
    email_verified: user.email ? (user.email_verified ?? true) : undefined,
    name,
    given_name: user.given_name,
    family_name: user.family_name,
    preferred_username: user.preferred_username ?? user.login,
    realm_access: { roles: Array.isArray(user.roles) ? user.roles : [] },
  };
}

// --- HTML ----------------------------------------------------------------

function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

function page(title, body) {
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body>
${body}
</body>
</html>`;
}

function loginPage(uid, { login = '', error } = {}) {
  return page('Sign in to MakrX (test provider)', `
<h1>Sign in</h1>
${error ? `<p id="error" class="error" role="alert">${esc(error)}</p>` : ''}
<form id="kc-form-login" method="post" action="/interaction/${esc(uid)}/login">
  <label for="login">Username or email</label>
  <input id="login" name="login" type="text" value="${esc(login)}" autofocus autocomplete="username">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
  <button id="kc-login" type="submit">Sign in</button>
</form>`);
}

// --- Koa helpers for the interaction routes ------------------------------

async function readForm(ctx) {
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > 64 * 1024) ctx.throw(413, 'request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function noStore(ctx) {
  ctx.set('cache-control', 'no-store');
  ctx.set('pragma', 'no-cache');
}

// Grants everything the current authorization request asks for: the OIDC scopes
// and claims, and the scopes of every requested resource server. Used both by
// loadExistingGrant (so there is never a consent prompt) and, defensively, if a
// consent prompt were ever reached.
async function ensureGrant(ctx, grant) {
  const { oidc } = ctx;
  if (!grant) {
    grant = new oidc.provider.Grant({
      clientId: oidc.client.clientId,
      accountId: oidc.session.accountId,
    });
  }
  const scopes = [...(oidc.requestParamOIDCScopes || [])];
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = [...(oidc.requestParamClaims || [])];
  if (claims.length) grant.addOIDCClaims(claims);
  for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers || {})) {
    const rsScopes = [...(oidc.requestParamScopes || [])].filter((s) => resourceServer.scopes.has(s));
    grant.addResourceScope(indicator, rsScopes.join(' '));
  }
  await grant.save();
  return grant;
}

// --- provider configuration ----------------------------------------------

const configuration = {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: clientSecret,
    client_name: 'MakrX web',
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks,

  scopes: ['openid', 'offline_access', 'email', 'profile', 'roles'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    roles: ['realm_access'],
  },
  // Put the scope claims into the ID token as well (Keycloak does).
  conformIdTokenClaims: false,

  async findAccount(ctx, sub) {
    const user = userBySub(sub);
    if (!user) return undefined;
    return {
      accountId: String(user.sub),
      async claims() {
        return userClaims(user);
      },
    };
  },

  // No consent screen: the grant always covers what is requested.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
    return ensureGrant(ctx, existing);
  },

  async extraTokenClaims(ctx, token) {
    const user = token.accountId ? userBySub(token.accountId) : undefined;
    if (!user) return undefined;
    const claims = userClaims(user);
    return {
      azp: CLIENT_ID,
      realm_access: claims.realm_access,
      preferred_username: claims.preferred_username,
      email: claims.email,
    };
  },

  // Keycloak always hands out a refresh token (no offline_access needed).
  async issueRefreshToken(ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },

  pkce: {
    required: () => false,
  },

  ttl: {
    AccessToken: 300,
    AuthorizationCode: 60,
    IdToken: 300,
    RefreshToken: 1800,
    Grant: 3600,
    Interaction: 600,
    Session: 3600,
  },

  cookies: {
    keys: [crypto.randomBytes(32).toString('hex')],
  },

  interactions: {
    url(ctx, interaction) {
      return `/interaction/${interaction.uid}`;
    },
  },

  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // Plain form, no JavaScript: POST its hidden fields (xsrf, logout=yes).
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out (test provider)', `
<h1>Do you want to sign out?</h1>
${form.replace('</form>', '<input type="hidden" name="logout" value="yes"/>'
    + '<button id="kc-logout" type="submit">Sign out</button></form>')}`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out (test provider)', '<h1>You are signed out.</h1>');
      },
    },
    resourceIndicators: {
      enabled: true,
      // Without an explicit resource= the access token is opaque (and usable at
      // userinfo); with resource=urn:makrx:api it is an RS256 JWT for the API.
      async defaultResource() {
        return undefined;
      },
      async useGrantedResource() {
        return false;
      },
      async getResourceServerInfo(ctx, resourceIndicator) {
        if (resourceIndicator !== API_RESOURCE) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: API_SCOPE,
          audience: apiAudience,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },

  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error (test provider)', `
<h1>Error</h1>
<p id="error" class="error">${esc(out.error)}: ${esc(out.error_description)}</p>`);
  },
};

const provider = new Provider(issuer, configuration);

// --- loopback redirect URIs on any port (OIDC_LOOPBACK_ANY_PORT) -----------

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

function withoutLoopbackPort(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  url.port = '';
  return url.href;
}

function loopbackMatch(value, allowed) {
  const stripped = withoutLoopbackPort(value);
  return stripped !== undefined && allowed.some((uri) => withoutLoopbackPort(uri) === stripped);
}

if (loopbackAnyPort) {
  const { prototype } = provider.Client;
  const redirectUriAllowed = prototype.redirectUriAllowed;
  const postLogoutRedirectUriAllowed = prototype.postLogoutRedirectUriAllowed;
  prototype.redirectUriAllowed = function anyPortRedirectUriAllowed(value) {
    return redirectUriAllowed.call(this, value) || loopbackMatch(value, this.redirectUris);
  };
  prototype.postLogoutRedirectUriAllowed = function anyPortPostLogoutRedirectUriAllowed(value) {
    return postLogoutRedirectUriAllowed.call(this, value) || loopbackMatch(value, this.postLogoutRedirectUris || []);
  };
}

provider.on('server_error', (ctx, err) => {
  console.error('oidc test provider server_error:', err);
});

// --- interaction routes (login form with a real password check) ----------

const INTERACTION = /^\/interaction\/([^/]+)(\/login)?\/?$/;

provider.use(async (ctx, next) => {
  const match = INTERACTION.exec(ctx.path);
  if (!match) return next();
  const [, uid, loginPath] = match;
  noStore(ctx);

  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Error (test provider)', `<h1>Error</h1><p id="error" class="error">${esc(err.message)}</p>`);
    return undefined;
  }
  if (details.uid !== uid) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Error (test provider)', '<h1>Error</h1><p id="error" class="error">interaction mismatch</p>');
    return undefined;
  }

  const { prompt } = details;

  if (ctx.method === 'GET' && !loginPath) {
    if (prompt.name === 'login') {
      ctx.type = 'html';
      ctx.body = loginPage(uid, { login: details.params.login_hint });
      return undefined;
    }
    // Should not happen (loadExistingGrant grants everything), but never show
    // a consent screen: grant what is missing and carry on.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const target = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(target);
    return undefined;
  }

  if (ctx.method === 'POST' && loginPath) {
    const form = await readForm(ctx);
    const login = (form.get('login') || form.get('username') || '').trim();
    const password = form.get('password') || '';
    const user = findUserForLogin(login);
    if (prompt.name !== 'login' || !user || !passwordMatches(user, password)) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(uid, { login, error: 'Invalid username or password.' });
      return undefined;
    }
    const target = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: String(user.sub), amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(target);
    return undefined;
  }

  ctx.status = 405;
  ctx.body = 'method not allowed';
  return undefined;
});

const server = provider.listen(port, host, () => {
  process.stdout.write(`READY ${issuer}\n`);
});

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

// Opt-in lifeline for test runners: exit when stdin closes, i.e. when the process
// that started us is gone, even if it died without sending SIGTERM.
if (['1', 'true', 'yes', 'on'].includes(env('OIDC_EXIT_ON_STDIN_CLOSE', '').toLowerCase())) {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
