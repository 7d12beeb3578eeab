import { checkQueueGroup, checkServiceName, checkSubject, checkVersion } from "../../runtime/src/protocol/naming-rules.js";

describe("checkServiceName", () => {
  test.each(["Calc", "calc", "calc_v1", "calc-v1", "C4LC", "_", "-", "a".repeat(200)])("accepts %j", (name) => {
    expect(checkServiceName(name)).toBeUndefined();
  });
  test.each(["", "calc.v1", "calc v1", "calc*", "calc>", "calc/v1", "cälc", "calc\n", "$SRV"])("rejects %j", (name) => {
    expect(checkServiceName(name)).toBe(`name "${name}" must match [A-Za-z0-9_-]+`);
  });
});

describe("checkVersion", () => {
  test.each(["0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0+build.5", "1.0.0-rc.1+sha.5114f85"])("accepts %j", (version) => {
    expect(checkVersion(version)).toBeUndefined();
  });
  test.each(["", "1", "1.0", "v1.0.0", "01.0.0", "1.02.0", "1.0.0-", "1.0.0+", "1.0.0-01", " 1.0.0", "1.0.0.0", "latest"])("rejects %j", (version) => {
    expect(checkVersion(version)).toBe(`version "${version}" is not a semantic version such as 1.0.0`);
  });
});

describe("checkSubject", () => {
  test.each(["calc", "calc.v1.Calc.Average", "a.b-c.d_e", "$SRV.custom", "svc.Ünïcode", "1.2.3"])("accepts %j", (subject) => {
    expect(checkSubject(subject)).toBeUndefined();
  });
  test("rejects the empty subject", () => {
    expect(checkSubject("")).toBe("subject must not be empty");
  });
  test.each(["calc..Average", ".calc", "calc.", "."])("rejects %j: empty token", (subject) => {
    expect(checkSubject(subject)).toBe(`subject "${subject}" has an empty token`);
  });
  test.each(["calc.*", "calc.>", "calc.v1*.x", "a>b"])("rejects %j: wildcard", (subject) => {
    expect(checkSubject(subject)).toBe(`subject "${subject}" must not contain wildcards`);
  });
  test.each(["calc v1", "calc.\tx", "calc.x\n", " calc"])("rejects %j: white space", (subject) => {
    expect(checkSubject(subject)).toBe(`subject "${subject}" must not contain white space`);
  });
});

describe("checkQueueGroup", () => {
  test.each(["q", "workers", "calc-v1_q", "Q1"])("accepts %j", (queueGroup) => {
    expect(checkQueueGroup(queueGroup)).toBeUndefined();
  });
  test.each(["", "a.b", "*", ">", "q q", "q\t", "."])("rejects %j", (queueGroup) => {
    expect(checkQueueGroup(queueGroup)).toBe(`queue group "${queueGroup}" must be one token without wildcards or white space`);
  });
});
