/**
 * The rules names and subjects must follow, checked when a service is generated and again when
 * it is started. Each check returns a reason when the value breaks a rule, `undefined` when not.
 */

const serviceNamePattern = /^[A-Za-z0-9_-]+$/;

// Semantic versioning 2.0.0, as the micro v1 schemas require.
const semverPattern =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** ADR-32 service and endpoint names: letters, digits, `_` and `-`. */
export function checkServiceName(name: string): string | undefined {
  return serviceNamePattern.test(name) ? undefined : `name "${name}" must match [A-Za-z0-9_-]+`;
}

/** ADR-32 versions are semantic versions, such as `1.2.0`. */
export function checkVersion(version: string): string | undefined {
  return semverPattern.test(version) ? undefined : `version "${version}" is not a semantic version such as 1.0.0`;
}

/** A subject to serve on: dot-separated tokens, none empty, no wildcards, no white space. */
export function checkSubject(subject: string): string | undefined {
  if (subject === "") {
    return "subject must not be empty";
  }
  for (const token of subject.split(".")) {
    if (token === "") {
      return `subject "${subject}" has an empty token`;
    }
    if (/[*>]/.test(token)) {
      return `subject "${subject}" must not contain wildcards`;
    }
    if (/\s/.test(token)) {
      return `subject "${subject}" must not contain white space`;
    }
  }
  return undefined;
}

/** A queue group name: one token, like a subject token. */
export function checkQueueGroup(queueGroup: string): string | undefined {
  return /^[^\s.*>]+$/.test(queueGroup) ? undefined : `queue group "${queueGroup}" must be one token without wildcards or white space`;
}
