// A real OpenID Connect provider (the `oidc-provider` package) on 127.0.0.1, for the login tests.
//
//   node provider.mjs            (configured through the environment)
//
// OIDC_REDIRECT_URI   the app's callback, e.g. http://127.0.0.1:8501/oauth2callback
// OIDC_CLIENT_ID      the one confidential client
// OIDC_CLIENT_SECRET  its secret (client_secret_basic, as Authlib sends it)
// OIDC_ACCOUNTS       JSON: {"<login>": {<claims>}, ...}; the login typed into the provider's own
//                     form is the account id, the claims (email, groups, ...) go into the ID token
//
// It listens on a free port chosen by the system and prints one JSON line with the issuer once it
// accepts connections. Logins use the provider's built-in development interactions (its own
// sign-in and consent pages). Nothing leaves 127.0.0.1; it stops on SIGTERM.

import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import Provider from "oidc-provider";

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`provider.mjs: environment variable ${name} is required`);
    process.exit(2);
  }
  return value;
}

const redirectUri = required("OIDC_REDIRECT_URI");
const clientId = required("OIDC_CLIENT_ID");
const clientSecret = required("OIDC_CLIENT_SECRET");
const accounts = JSON.parse(required("OIDC_ACCOUNTS"));

// A fresh signing key per run instead of the library's development keys.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test", use: "sig", alg: "RS256" };

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        // Streamlit's st.logout ends the provider's session too and comes back to the callback.
        post_logout_redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [clientSecret] },
    // Streamlit (Authlib) reads the person from the ID token, not from the userinfo endpoint.
    conformIdTokenClaims: false,
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "groups"],
    },
    // An unknown login is refused by the provider itself: no account, no session.
    async findAccount(ctx, id) {
      if (!Object.hasOwn(accounts, id)) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, ...accounts[id] };
        },
      };
    },
    features: { devInteractions: { enabled: true } },
  });
  provider.proxy = false;
  server.on("request", provider.callback());
  console.log(JSON.stringify({ issuer }));
});

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
