// Jest runs the TypeScript tests as ES modules (npm test sets --experimental-vm-modules).
// ts-jest only transpiles (isolatedModules): `npm run typecheck` checks the types.
/** @type {import("jest").Config} */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  // Relative imports end in .js (NodeNext); map them to the .ts sources.
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "test/tsconfig.json" }] },
  // End-to-end tests start real nats-server processes; none waits longer than this.
  testTimeout: 30_000,
};
