import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

/** Paths of PEM files for a TLS test: one CA, a server certificate for 127.0.0.1, a client certificate. */
export interface TlsCertificates {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

const run = promisify(execFile);

/** How long one openssl command may take; key generation is the slow part. */
const opensslTimeoutMs = 20_000;

async function openssl(directory: string, args: string[]): Promise<void> {
  await run("openssl", args, { cwd: directory, timeout: opensslTimeoutMs });
}

/**
 * Writes a throwaway CA and two certificates it signs into `directory` with the `openssl` command:
 * one for a server on 127.0.0.1 and one for a client, for servers that verify clients. The server
 * certificate names both 127.0.0.1 and localhost: nats.js checks the name localhost for a
 * loopback address.
 */
export async function createTlsCertificates(directory: string): Promise<TlsCertificates> {
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(directory, ["req", "-x509", ...ecKey, "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test CA"]);
  await writeFile(join(directory, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await writeFile(join(directory, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const name of ["server", "client"]) {
    await openssl(directory, ["req", ...ecKey, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", `/CN=test ${name}`]);
    await openssl(directory, [
      "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
      "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`,
    ]);
  }
  return {
    ca: join(directory, "ca.pem"),
    serverCert: join(directory, "server.pem"),
    serverKey: join(directory, "server-key.pem"),
    clientCert: join(directory, "client.pem"),
    clientKey: join(directory, "client-key.pem"),
  };
}
