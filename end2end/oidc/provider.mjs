// A real OpenID provider for the single sign-on tests: oidc-provider (an OpenID Certified
// implementation), started on loopback by the test, with its development login and consent pages.
//
//   OIDC_PORT=4100 WAYMARK_CALLBACK=http://127.0.0.1:3000/auth/oidc/callback node oidc/provider.mjs
//
// Its issuer is http://127.0.0.1:$OIDC_PORT. Client `waymark` (secret `waymark-test-secret`)
// may return only to $WAYMARK_CALLBACK (comma-separated, for several Waymarks) and must
// use PKCE. Anyone can sign in with any login
// and password; the login is the account's email, verified, except for two prefixes:
//
// - `unverified:x@y` signs in as x@y with `email_verified: false`;
// - `other-app:x@y` signs in as x@y, but the token endpoint answers Waymark with an ID token
//   this provider issued and signed for its other client, `other-app`. Everything else in it is
//   right (issuer, subject, nonce, expiry, email), so only an audience check can refuse it: it
//   stands for a token meant for another application being passed off as Waymark's.
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const callback = process.env.WAYMARK_CALLBACK;
if (!port || !callback) {
  throw new Error("set OIDC_PORT and WAYMARK_CALLBACK");
}
const issuer = `http://127.0.0.1:${port}`;

function account(login) {
  const [prefix, email] = login.includes(":") ? login.split(":", 2) : ["", login];
  return { email, email_verified: prefix !== "unverified" };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "waymark",
      client_secret: "waymark-test-secret",
      redirect_uris: callback.split(","),
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
    {
      client_id: "other-app",
      client_secret: "other-app-secret",
      redirect_uris: ["http://127.0.0.1:9/callback"],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  async findAccount(_ctx, id) {
    return { accountId: id, claims: async () => ({ sub: id, ...account(id) }) };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["waymark-test-provider-cookie-key"] },
});

provider.use(async (ctx, next) => {
  await next();
  const body = ctx.body;
  if (ctx.path !== "/token" || ctx.status !== 200 || !body?.id_token) {
    return;
  }
  const issued = JSON.parse(Buffer.from(body.id_token.split(".")[1], "base64url").toString());
  if (!issued.sub.startsWith("other-app:")) {
    return;
  }
  const other = await provider.Client.find("other-app");
  const token = new provider.IdToken({ sub: issued.sub }, { ctx, client: other });
  token.scope = "openid";
  token.set("nonce", issued.nonce);
  token.set("email", account(issued.sub).email);
  token.set("email_verified", true);
  ctx.body = { ...body, id_token: await token.issue({ use: "idtoken" }) };
});

provider.listen(port, "127.0.0.1", () => {
  console.log(`oidc provider ready at ${issuer}`);
});
