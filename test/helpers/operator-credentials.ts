import { createHash, randomUUID } from "node:crypto";
import { nkeys } from "@nats-io/nats-core";

type KeyPair = ReturnType<typeof nkeys.createOperator>;

/** A NATS operator-mode set-up made in memory: server configuration and one user's creds file. */
export interface OperatorCredentials {
  /** Lines for the nats-server configuration: the operator, the account, a memory resolver. */
  readonly serverConfig: string;
  /** The user's creds file, as `nsc generate creds` writes it. */
  readonly creds: string;
  /** A second user's creds file, signed by an account the server does not know. */
  readonly strangerCreds: string;
}

/**
 * Makes an operator, an account and users, and signs their JWTs (ed25519 nkeys, as `nsc` does),
 * so that a test can run a server in operator mode without `nsc`.
 */
export function createOperatorCredentials(): OperatorCredentials {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const user = nkeys.createUser();
  const strangerAccount = nkeys.createAccount();
  const stranger = nkeys.createUser();

  const operatorJwt = signJwt(operator, operator.getPublicKey(), "operator", { type: "operator", version: 2 });
  const accountJwt = signJwt(operator, account.getPublicKey(), "calc-account", {
    type: "account",
    version: 2,
    limits: { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 },
  });
  const userClaims = { type: "user", version: 2, pub: {}, sub: {}, subs: -1, data: -1, payload: -1 };
  const accountPublicKey = account.getPublicKey();
  return {
    serverConfig: `operator: ${operatorJwt}\nresolver: MEMORY\nresolver_preload: {\n  ${accountPublicKey}: ${accountJwt}\n}\n`,
    creds: credsFile(signJwt(account, user.getPublicKey(), "calc-user", userClaims), user.getSeed()),
    strangerCreds: credsFile(signJwt(strangerAccount, stranger.getPublicKey(), "stranger", userClaims), stranger.getSeed()),
  };
}

// A JWT as nats-server reads it: header, claims and an ed25519 signature by the issuer's nkey.
function signJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const header = base64Url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }));
  const claims = {
    jti: createHash("sha256").update(randomUUID()).digest("base64url"),
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats,
  };
  const body = `${header}.${base64Url(JSON.stringify(claims))}`;
  const signature = Buffer.from(issuer.sign(new TextEncoder().encode(body))).toString("base64url");
  return `${body}.${signature}`;
}

function base64Url(text: string): string {
  return Buffer.from(text, "utf8").toString("base64url");
}

function credsFile(jwt: string, seed: Uint8Array): string {
  return `-----BEGIN NATS USER JWT-----
${jwt}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.
NKEYs are sensitive and should be treated as secrets.

-----BEGIN USER NKEY SEED-----
${new TextDecoder().decode(seed)}
------END USER NKEY SEED------

*************************************************************
`;
}
