// Playwright drives Debian's Chromium (never a downloaded browser) against a Waymark server
// that this config starts on a free port with a fresh data directory.
import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const server = process.env.WAYMARK_BIN;
if (!server) {
  throw new Error("WAYMARK_BIN must name the built waymark binary (.ci/test sets it).");
}
// Made once by the runner; its workers (which load this file again) inherit the variable.
process.env.WAYMARK_E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), "waymark-e2e-"));
/** The server's data directory: the fault test reaches into its database. */
export const DATA_DIR = process.env.WAYMARK_E2E_DATA_DIR;
const dataDir = DATA_DIR;
const port = Number(process.env.WAYMARK_TEST_PORT ?? 3917);

/**
 * The "intranet" the embed test frames the map from, served by the test itself on the next
 * port, and another site that is not allowed to.
 */
export const EMBEDDER_PORTS = { allowed: port + 1, other: port + 2 };
export const ALLOWED_EMBEDDER = `http://127.0.0.1:${EMBEDDER_PORTS.allowed}`;
export const ADMIN = { email: "admin@example.com", name: "Ada Admin", password: "correct horse battery" };
/** A second account, for tests with two people. */
export const BOB = { email: "bob@example.com", name: "Bob Brown", password: "correct horse battery" };

export default defineConfig({
  testDir: "./tests",
  globalSetup: "./tests/global-setup.ts",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  forbidOnly: true,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: "chromium",
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
    trace: "retain-on-failure",
    // Signed in as the admin (see global-setup.ts); tests that need someone else make new contexts.
    storageState: ".auth/admin.json",
  },
  // The fault test holds the database's write lock, which would fail everyone else's edits:
  // it runs alone, after the others.
  projects: [
    { name: "main", testIgnore: /faults\.spec\.ts/ },
    { name: "faults", testMatch: /faults\.spec\.ts/, dependencies: ["main"] },
  ],
  webServer: {
    // A fresh installation with its first admin, created from the command line.
    command:
      `"${server}" create-admin --email ${ADMIN.email} --name "${ADMIN.name}" && ` +
      `"${server}" create-admin --email ${BOB.email} --name "${BOB.name}" && exec "${server}" serve`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      WAYMARK_ADDR: `127.0.0.1:${port}`,
      WAYMARK_DATA_DIR: dataDir,
      WAYMARK_SITE_DIR: process.env.WAYMARK_SITE_DIR ?? "../target/site",
      WAYMARK_LOG: "warn",
      WAYMARK_ADMIN_PASSWORD: ADMIN.password,
      WAYMARK_EMBED_ORIGINS: ALLOWED_EMBEDDER,
    },
  },
});
